import GovernanceCore

extension PresenceCommands {
    enum Idle {
        static let command = PresenceCommands.observing(
            .idle, "Report that an agent is alive but idle",
            doc: "Marks the agent Idle (a sign of life: last seen is now) and records presence.idle in its chain; an agent already Idle only has its last seen time moved (status `seen`, no event). Spools like heartbeat when the store is unreachable.",
            examples: ["governance presence idle billing-agent"]
        ) { args in
            try Presence.event(.idle, agentID: try args.require(PresenceCommands.agentArgument))
        }
    }
}

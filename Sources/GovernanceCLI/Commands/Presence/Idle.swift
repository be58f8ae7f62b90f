import GovernanceCore

extension PresenceCommands {
    enum Idle {
        static let command = CommandSpec(
            "idle", "Report that an agent is alive but idle",
            doc: "Marks the agent Idle (a sign of life: last seen is now) and records presence.idle in its chain. Spools like heartbeat when the store is unreachable.",
            flags: [PresenceCommands.requireDurable],
            positionals: [PresenceCommands.agentArgument],
            examples: ["governance presence idle billing-agent"],
            role: .observe,
            needs: .record,
            failures: [.invalidInput]
        ) { args, run in
            try PresenceCommands.record(.idle, agent: PresenceCommands.agentArgument(args), run: run)
        }
    }
}

import GovernanceCore

extension Presence {
    enum Idle {
        static let command = CommandSpec(
            "idle", "Report that an agent is alive but idle",
            doc: "Marks the agent Idle (a sign of life: last seen is now) and records presence.idle in its chain. Spools like heartbeat when the store is unreachable.",
            flags: [Presence.requireDurable],
            positionals: [Presence.agentArgument],
            examples: ["governance presence idle billing-agent"],
            role: .observe,
            needs: .record,
            failures: [.invalidInput]
        ) { args, run in
            try Presence.record(.idle, agent: Presence.agentArgument(args), run: run)
        }
    }
}

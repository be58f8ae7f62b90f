import GovernanceCore

extension PresenceCommands {
    enum Close {
        static let command = CommandSpec(
            "close", "Report that an agent has finished (removes it from the list)",
            doc: "Removes the agent's presence row and records presence.close in its chain. A kill marker is kept: a killed agent stays killed. Spools like heartbeat when the store is unreachable.",
            flags: [PresenceCommands.requireDurable],
            positionals: [PresenceCommands.agentArgument],
            examples: ["trap 'governance presence close billing-agent' EXIT"],
            role: .observe,
            needs: .record,
            failures: [.invalidInput]
        ) { args, run in
            try PresenceCommands.record(.close, agent: PresenceCommands.agentArgument(args), run: run)
        }
    }
}

import GovernanceCore

extension Presence {
    enum Close {
        static let command = CommandSpec(
            "close", "Report that an agent has finished (removes it from the list)",
            doc: "Removes the agent's presence row and records presence.close in its chain. A kill marker is kept: a killed agent stays killed. Spools like heartbeat when the store is unreachable.",
            flags: [Presence.requireDurable],
            positionals: [Presence.agentArgument],
            examples: ["trap 'governance presence close billing-agent' EXIT"],
            role: .observe,
            needs: .record,
            failures: [.invalidInput]
        ) { args, run in
            try Presence.record(.close, agent: Presence.agentArgument(args), run: run)
        }
    }
}

import GovernanceCore

extension PresenceCommands {
    enum Close {
        static let command = PresenceCommands.observing(
            .close, "Report that an agent has finished (removes it from the list)",
            doc: "Removes the agent's presence row and records presence.close in its chain. A kill marker is kept: a killed agent stays killed. Spools like heartbeat when the store is unreachable.",
            examples: ["trap 'governance presence close billing-agent' EXIT"]
        ) { args in
            try Presence.event(.close, agentID: try args.require(PresenceCommands.agentArgument))
        }
    }
}

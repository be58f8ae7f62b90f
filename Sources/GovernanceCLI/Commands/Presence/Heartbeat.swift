import GovernanceCore

extension PresenceCommands {
    enum Heartbeat {
        static let operatorFlag: Flag<String> = .text("operator", value: "OPERATOR", "The operator responsible for this agent",
                                                      doc: "Binds the operator to the agent: that operator cannot grant the agent's approval requests (exit 22).")

        static let command = PresenceCommands.observing(
            .heartbeat, "Report that an agent is alive",
            doc: """
            Marks the agent Live and records a presence.heartbeat event in the agent's own chain, both in one \
            transaction. An observation command: when the store is unreachable the event is spooled, a warning \
            goes to stderr and the exit status is 0; `audit flush` replays it later and the presence row takes \
            it only if it is newer than what the row has seen. --operator binds an operator to the agent (kept \
            until another heartbeat names a different one or the agent closes).
            """,
            flags: [operatorFlag, SharedFlags.metadata],
            examples: ["governance presence heartbeat billing-agent --operator alice",
                       "governance presence heartbeat billing-agent --metadata '{\"step\":3}'"]
        ) { args in
            try Presence.event(.heartbeat, agentID: try args.require(PresenceCommands.agentArgument), operator: try args[operatorFlag],
                               metadata: try args[SharedFlags.metadata] ?? .object([]))
        }
    }
}

import GovernanceCore

extension PresenceCommands {
    enum Heartbeat {
        static let operatorFlag: Flag<String> = .text("operator", value: "OPERATOR", "The operator responsible for this agent",
                                                      doc: "Binds the operator to the agent: that operator cannot grant the agent's approval requests (exit 22).")

        static let command = PresenceCommands.observing(
            .heartbeat, "Report that an agent is alive",
            doc: """
            Marks the agent Live. Liveness is state; the audit chain records transitions: when the agent was not \
            Live (no row, Idle, Unresponsive) or the heartbeat binds another operator, a presence.heartbeat event is \
            appended to the agent's own chain in the same transaction (status `appended`); when it was already Live, \
            only its last seen time and metadata move and nothing is appended (status `seen`), so a heartbeat every \
            30 s costs no audit event. An observation command: when the store is unreachable the event is spooled, a warning \
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

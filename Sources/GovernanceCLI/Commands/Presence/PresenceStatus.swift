import GovernanceCore

extension PresenceCommands {
    enum Status {
        static let command = CommandSpec(
            "status", "Print an agent's state; exit 15 when it is killed (assert-alive)",
            doc: """
            Prints the agent's status, last seen and operator. Exits 15 when the agent is killed, with who, when \
            and why on stderr, so a script can run `governance presence status "$AGENT" || exit`. An agent the \
            store has never seen and that is not killed is reported as unknown, exit 0. The store being \
            unreachable is exit 4: a script asserting life fails closed.
            """,
            positionals: [PresenceCommands.agentArgument],
            examples: ["governance presence status billing-agent || exit"],
            needs: .read,
            failures: [.agentKilled]
        ) { args, run in
            let id = try args.require(PresenceCommands.agentArgument)
            let agent = try Presence.agent(try run.store.connection, agentID: id)
            if let agent {
                run.emit(json: agent.json,
                         text: Render.columns(["AGENT", "STATUS", "LAST SEEN", "SESSION", "OPERATOR", "KILLED"], [PresenceCommands.row(agent)]))
            } else {
                run.emit(json: .object([("agent_id", .string(id)), ("status", .string("unknown")), ("last_seen", .null), ("last_seen_unix", .null), ("session", .null),
                                        ("operator", .null), ("metadata", .null), ("kill", .null), ("db_user", .null)]),
                         text: "\(Render.escaped(id))  unknown (no heartbeat; not killed)")
            }
            if let kill = agent?.kill { throw kill.error }
            return 0
        }
    }
}

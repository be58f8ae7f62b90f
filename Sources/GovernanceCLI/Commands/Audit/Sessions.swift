import GovernanceCore

extension Audit {
    enum Sessions {
        static let limit: Flag<Int64> = .integer("limit", short: "n", "At most N sessions, the most recently active first (default 50)",
                                                 range: 1...1_000_000)

        static let command = CommandSpec(
            "sessions", "List the sessions the store holds, the most recently active first",
            doc: "For each session: its first and last event (UTC), how many events it holds and which agents wrote them. The ids are what --session takes.",
            flags: [SharedFlags.agent.filter("Only sessions this agent took part in"), limit],
            examples: ["governance audit sessions", "governance audit sessions --agent billing-agent --json"],
            needs: .read
        ) { args, run in
            let query = AuditQuery(db: try run.store.connection)
            let wanted = Int(try args[limit] ?? 50)
            let sessions = try query.sessions(agentID: try args[SharedFlags.agent], limit: wanted)
            let total = try sessions.count == wanted && args[SharedFlags.agent] == nil ? try query.sessionCount() : Int64(sessions.count)
            func agentsText(_ s: SessionSummary) -> String {
                let shown = s.agents.map(Render.escaped).joined(separator: ", ")
                return s.agentCount > Int64(s.agents.count) ? shown + " and \(s.agentCount - Int64(s.agents.count)) more" : shown
            }
            var text = sessions.isEmpty ? "no sessions: the store holds no events" : ""
            for s in sessions {
                if !text.isEmpty { text += "\n" }
                text += "\(s.sessionID)  \(s.firstAt.iso8601)  \(s.lastAt.iso8601)  \(Render.count(Int(s.events), "event"))  \(agentsText(s))"
            }
            if total > Int64(sessions.count) { text += "\n(the \(sessions.count) most recent of \(Render.grouped(Int(total))) sessions; see --limit)" }
            run.emit(
                json: .object([
                    ("sessions", .array(sessions.map { s in
                        .object([("session_id", .string(s.sessionID)), ("first_at", .string(s.firstAt.iso8601)),
                                 ("last_at", .string(s.lastAt.iso8601)), ("events", .int64(s.events)),
                                 ("agents", .array(s.agents.map(JSONValue.string))), ("agent_count", .int64(s.agentCount))])
                    })),
                    ("total_sessions", .int64(total)),
                ]),
                text: text)
            return 0
        }
    }
}

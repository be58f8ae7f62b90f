import GovernanceCore

extension GatesCommands {
    enum List {
        static let pending: Flag<Bool> = .toggle("pending", "Only requests still waiting for a decision (not expired)")
        static let limit: Flag<Int64> = .integer("limit", short: "n", "At most N requests, newest first (default 100)", range: 1...1_000_000)

        static let command = CommandSpec(
            "list", "List approval requests, newest first",
            doc: "One line per request: id, status (pending, granted, denied or expired), kind, agent, expiry.",
            flags: [pending, limit],
            examples: ["governance gates list --pending"],
            needs: .read
        ) { args, run in
            let requests = try Gates.list(try run.store.connection, pendingOnly: try args.has(pending), limit: Int(try args[limit] ?? 100))
            let text = requests.isEmpty ? "no requests" : requests.map {
                "\($0.requestID)  \($0.effectiveStatus().rawValue)  \(Render.escaped($0.kind))  \(Render.escaped($0.agentID))  expires \($0.expiresAt.iso8601)"
            }.joined(separator: "\n")
            run.emit(json: .object([("requests", .array(requests.map { $0.json() }))]), text: text)
            return 0
        }
    }
}

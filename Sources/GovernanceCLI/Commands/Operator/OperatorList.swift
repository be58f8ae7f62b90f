import GovernanceCore

extension Operator {
    enum List {
        static let command = CommandSpec(
            "list", "List registered operators",
            doc: "Each operator's name, public key (hex), when and by whom it was added, and when it was removed.",
            examples: ["governance operator list --json"],
            needs: .read,
            failures: []
        ) { _, run in
            let operators = try Operators.list(try run.store.connection)
            run.emit(json: .object([("operators", .array(operators.map(\.json)))]),
                     text: operators.isEmpty ? "no operators registered" : operators.map { o in
                         "\(Render.escaped(o.name))  \(Hex.encode(o.publicKey).prefix(16))...  added \(o.addedAt.iso8601)"
                             + (o.addedBy.map { " by \(Render.escaped($0))" } ?? "") + (o.removedAt.map { "  REMOVED \($0.iso8601)" } ?? "")
                     }.joined(separator: "\n"))
            return 0
        }
    }
}

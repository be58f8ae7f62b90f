import GovernanceCore

extension Policy {
    enum List {
        static let command = CommandSpec(
            "list", "List the agents that have a policy",
            doc: "One line per agent: the policy's SHA-256, when it was applied and from which file.",
            examples: ["governance policy list --json"],
            needs: .read
        ) { _, run in
            let stored = try PolicyStore(db: try run.store.connection).list()
            run.emit(json: .object([("policies", .array(stored.map(\.json)))]),
                     text: stored.isEmpty ? "no policies: every agent is denied everything (default deny)" : stored.map(Policy.text).joined(separator: "\n"))
            return 0
        }
    }
}

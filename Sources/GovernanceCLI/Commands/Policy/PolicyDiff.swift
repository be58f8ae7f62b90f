import GovernanceCore

extension Policy {
    enum Diff {
        static let command = CommandSpec(
            "diff", "Show what `policy apply` would change, agent by agent (exit 1 when something would)",
            doc: """
            Validates the files as `policy apply` does and compares each agent with its stored policy, as the \
            enforcement path reads it (a stored policy without a valid operator signature counts as none, and \
            the reason is shown). Per agent: added, changed or unchanged, and each changed key (scope lists, budget \
            caps, loop settings, one contract per tool) with its old and new value. Stored agents that no file \
            names are listed as not in the files: apply keeps them. Exits 0 when nothing would change and 1 when \
            something would, as diff(1) does (1 is also an internal error's status: with --json, stdout holds the \
            diff only when it ran). Reads the store only; an embedded store not created yet holds no policy.
            """,
            flags: [Apply.file.required.repeatable],
            examples: ["governance policy diff -f policies/billing.yaml", "governance policy diff -f policies.yaml --json | jq '.agents[] | select(.status != \"unchanged\")'"],
            failures: [.invalidInput, .storeUnavailable]
        ) { args, run in
            let diff = try Policy.diff(try PolicyParser.load(try args.all(Apply.file)), run: run)
            run.emit(json: diff.json, text: Policy.text(diff))
            return diff.differs ? 1 : 0
        }
    }

    /// The files against the store, read only. The embedded default not created yet holds
    /// nothing (every agent is added); any other store that cannot be read is an error.
    static func diff(_ documents: [PolicyDocument], run: Run, checkKey: ((SQLConnection) throws -> Void)? = nil) throws -> PolicyDiff {
        let config = try run.configuration()
        if config.usesEmbeddedDefault, case .sqlite(let path) = config.store, !FileSystem.exists(path) {
            if checkKey != nil {
                throw GovernanceError(.operatorNotPermitted, "there is no store yet, so no operator is registered to hold --operator-key",
                                      hint: "run `governance init` and `governance operator add`, or leave --operator-key out of a dry run")
            }
            return try PolicyDiff.compute(documents, stored: { _ in (nil, nil) }, storedAgents: [])
        }
        let store = try Store.open(config, access: .read)
        try checkKey?(store.connection)
        let policies = PolicyStore(db: store.connection)
        return try PolicyDiff.compute(documents, stored: policies.verified, storedAgents: try policies.list().map(\.policy.agentID))
    }

    static func text(_ diff: PolicyDiff) -> String {
        var lines: [String] = []
        for agent in diff.agents {
            let id = Render.escaped(agent.agentID)
            switch agent.status {
            case .added: lines.append("+ \(id)  added" + (agent.storedIgnored.map { " (the stored policy is not acted on: \($0))" } ?? ""))
            case .changed: lines.append("~ \(id)  changed")
            case .unchanged: lines.append("= \(id)  unchanged")
            case .notInFiles: lines.append("  \(id)  not in the files (apply keeps it)")
            }
            for change in agent.changes { lines.append("    " + Policy.text(change)) }
        }
        let count = { (status: PolicyDiff.Status) in diff.agents.filter { $0.status == status }.count }
        lines.append("\(count(.added)) added, \(count(.changed)) changed, \(count(.unchanged)) unchanged"
                     + (count(.notInFiles) > 0 ? ", \(count(.notInFiles)) stored agent(s) not in the files" : ""))
        return lines.joined(separator: "\n")
    }

    /// `budget.per_session_usd: "5.00" -> "10.00"`; a list as the entries added and removed.
    static func text(_ change: PolicyDiff.Change) -> String {
        let key = Render.escaped(change.key)
        func shown(_ value: JSONValue?) -> String { value.map { Render.escaped(JSONWriter.canonical($0)) } ?? "(none)" }
        if case .array(let before) = change.old ?? .array([]), case .array(let after) = change.new ?? .array([]) {
            let parts = after.filter { !before.contains($0) }.map { "+ " + shown($0) } + before.filter { !after.contains($0) }.map { "- " + shown($0) }
            return "\(key): " + (parts.isEmpty ? "\(shown(change.old)) -> \(shown(change.new))" : parts.joined(separator: ", "))
        }
        return "\(key): \(shown(change.old)) -> \(shown(change.new))"
    }
}

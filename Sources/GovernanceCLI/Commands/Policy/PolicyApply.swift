import GovernanceCore

extension Policy {
    enum Apply {
        static let file: Flag<String> = .path("file", short: "f", value: "FILE", "A policy file (YAML or JSON), or - for stdin; repeatable")

        static let command = CommandSpec(
            "apply", "Validate policy files whole, then store them in one transaction",
            doc: """
            Reads every file (at most 1 MiB each; YAML aliases, anchors and tags are refused), validates each \
            completely, and only then stores all of them in one transaction: a bad file changes nothing and exits \
            2 naming the file, the path in the document (agents.x.budget.per_session_usd) and the reason. An agent \
            named in a file gets exactly the policy written there (sections left out are removed). Each applied \
            agent's policy is audited as policy.applied with the SHA-256 of its canonical form. Each stored \
            policy is signed with --operator-key; the enforcement path treats a policy no registered operator \
            signed as no policy (exit 11, audited).
            """,
            flags: [file.required.repeatable, SharedFlags.operatorKey.required],
            examples: ["governance policy apply -f policies/billing.yaml", "cat policy.json | governance policy apply -f -"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let documents = try PolicyParser.load(try args.all(file))
            let signer = try SharedFlags.operatorCredential(args, run)
            let applied = try PolicyStore(db: try run.store.connection).apply(documents, keys: try run.keys(), by: signer.credential,
                                                                             identity: signer.identity)
            run.emit(json: .object([("applied", .array(applied.map(\.json)))]),
                     text: applied.map { a in
                         "\(a.changed ? "applied" : "unchanged") \(Render.escaped(a.agentID))  sha256 \(a.sha256.prefix(16))...  from \(Render.escaped(a.source))"
                     }.joined(separator: "\n"))
            return 0
        }
    }
}

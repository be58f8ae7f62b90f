import GovernanceCore

extension Policy {
    enum Apply {
        static let file: Flag<String> = .path("file", short: "f", value: "FILE", "A policy file (YAML or JSON), or - for stdin; repeatable")
        static let dryRun: Flag<Bool> = .toggle("dry-run", "Validate and show what would change (as `policy diff`); write nothing",
                                                doc: "Needs no operator key and reads the store only. A key given (flag or GOVERNANCE_OPERATOR_KEY_FILE) is checked all the same: a dry run that passes means the apply would be signed.")

        static let command = CommandSpec(
            "apply", "Validate policy files whole, then store them in one transaction",
            doc: """
            Reads every file (at most 1 MiB each; YAML aliases, anchors and tags are refused), validates each \
            completely, and only then stores all of them in one transaction: a bad file changes nothing and exits \
            2 naming the file, the path in the document (agents.x.budget.per_session_usd) and the reason. An agent \
            named in a file gets exactly the policy written there (sections left out are removed). Each applied \
            agent's policy is audited as policy.applied with the SHA-256 of its canonical form. Each stored \
            policy is signed with --operator-key; the enforcement path treats a policy no registered operator \
            signed as no policy (exit 11, audited). With --dry-run nothing is written and the output is \
            `policy diff`'s, exit 0 whatever would change.
            """,
            flags: [file.required.repeatable, dryRun, SharedFlags.operatorKey.requiredUnless(dryRun)],
            examples: ["governance policy apply -f policies/billing.yaml", "cat policy.json | governance policy apply -f -",
                       "governance policy apply --dry-run -f policies/billing.yaml"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let documents = try PolicyParser.load(try args.all(file))
            if try args.has(dryRun) { return try preview(documents, args, run) }
            let signer = try SharedFlags.operatorCredential(args, run)
            let applied = try PolicyStore(db: try run.store.connection).apply(documents, keys: try run.keys(), by: signer.credential,
                                                                             identity: signer.identity)
            run.emit(json: .object([("applied", .array(applied.map(\.json)))]),
                     text: applied.map { a in
                         "\(a.changed ? "applied" : "unchanged") \(Render.escaped(a.agentID))  sha256 \(a.sha256.prefix(16))...  from \(Render.escaped(a.source))"
                     }.joined(separator: "\n"))
            return 0
        }
        .needing { args in try args.has(dryRun) ? .nothing : CommandNeeds(store: .write, keys: true) }

        /// --dry-run: the diff, with the key checked when one is given.
        static func preview(_ documents: [PolicyDocument], _ args: Arguments, _ run: Run) throws -> Int32 {
            var operatorName: String?
            let key = try args[SharedFlags.operatorKey]
            let diff = try Policy.diff(documents, run: run, checkKey: key.map { path in
                { db in operatorName = try OperatorCredential.load(keyFile: path, db: db).name }
            })
            run.emit(json: .object([("dry_run", .bool(true)), ("operator", .optional(operatorName))] + (diff.json.objectMembers ?? [])),
                     text: "dry run: nothing was written" + (operatorName.map { "; signed by \(Render.escaped($0)) when applied" } ?? "")
                        + "\n" + Policy.text(diff))
            return 0
        }
    }
}

import GovernanceCore

extension Policy {
    enum Apply {
        static let file: Flag<String> = Flag(FlagSpec("file", short: "f", kind: .path, value: "FILE", "A policy file (YAML or JSON), or - for stdin; repeatable",
                                                      repeatable: true, requirement: .required))

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
            flags: [file, SharedFlags.operatorKey],
            examples: ["governance policy apply -f policies/billing.yaml", "cat policy.json | governance policy apply -f -"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let documents = try PolicyParser.load(args.all(file))
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

    enum Show {
        static let command = CommandSpec(
            "show", "Show one agent's policy",
            doc: "Prints the agent's stored policy as YAML (as `policy export` writes it), or with --json as its canonical JSON. Exits 11 when the agent has none.",
            positionals: [PositionalSpec("AGENT", "The agent's id")],
            examples: ["governance policy show billing-agent"],
            needs: .read,
            failures: [.noPolicy]
        ) { args, run in
            let agent = args.positionals[0]
            guard let stored = try PolicyStore(db: try run.store.connection).stored(agent) else {
                throw GovernanceError(.noPolicy, "agent \(Render.quoted(agent)) has no policy", hint: "list the agents with `governance policy list`")
            }
            run.emit(json: stored.json, text: PolicyYAML.emit([stored.policy]))
            return 0
        }
    }

    enum Delete {
        static let command = CommandSpec(
            "delete", "Remove one agent's policy (the agent is then denied everything)",
            doc: "Removes the policy and audits policy.deleted, signed with --operator-key, in the agent's own chain. Exits 11 when the agent has none.",
            flags: [SharedFlags.operatorKey],
            positionals: [PositionalSpec("AGENT", "The agent's id")],
            examples: ["governance policy delete billing-agent"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.noPolicy]
        ) { args, run in
            let agent = args.positionals[0]
            let signer = try SharedFlags.operatorCredential(args, run)
            guard try PolicyStore(db: try run.store.connection).delete(agent, keys: try run.keys(), by: signer.credential,
                                                                       identity: signer.identity) else {
                throw GovernanceError(.noPolicy, "agent \(Render.quoted(agent)) has no policy; nothing was deleted",
                                      hint: "list the agents with `governance policy list`")
            }
            run.emit(json: .object([("deleted", .string(agent))]), text: "deleted the policy of \(Render.escaped(agent))")
            return 0
        }
    }

    enum Export {
        static let command = CommandSpec(
            "export", "Write every stored policy as one YAML file that `policy apply` takes back unchanged",
            doc: "The output applied again changes nothing (each agent's SHA-256 stays the same).",
            examples: ["governance policy export > policies.yaml"],
            needs: .read
        ) { _, run in
            run.console.write(try PolicyStore(db: try run.store.connection).exportYAML())
            return 0
        }
    }
}

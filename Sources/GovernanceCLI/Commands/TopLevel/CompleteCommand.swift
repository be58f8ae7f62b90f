import GovernanceCore

extension TopLevel {
    enum CompleteCommand {
        static let kind: Positional<String> = .one("KIND", "What to list", choices: CompletionValues.Kind.allCases.map(\.rawValue))
        static let prefix: Positional<String> = .one("PREFIX", "Only values starting with this", optional: true)
        static let limit: Flag<Int64> = .integer("limit", short: "n", "At most N values (default 200)",
                                                 range: 1...Int64(CompletionValues.maxLimit))

        static let command = CommandSpec(
            "complete", "Print the values the shell completions offer: agents, sessions or pending requests",
            doc: """
            One value per line, sorted (sessions and requests the most recent first), at most --limit: agents \
            that have a presence row, a kill marker or a policy; sessions holding events; pending, unexpired \
            approval requests. The completion scripts call it and ignore its errors. Values holding anything but \
            letters, digits and ._:@%+=,/- are never printed, since bash's compgen expands the words it is \
            given and these values come from the agents being governed; --json counts them as skipped.
            """,
            flags: [limit],
            positionals: [kind, prefix],
            examples: ["governance complete agents", "governance complete requests --json"],
            needs: .read
        ) { args, run in
            let which = CompletionValues.Kind(rawValue: try args.require(kind))!
            let values = try CompletionValues.read(which, db: try run.store.connection, prefix: try args[prefix] ?? "",
                                                   limit: Int(try args[limit] ?? Int64(CompletionValues.defaultLimit)))
            if values.values.isEmpty && run.format == .text { return 0 }
            run.emit(json: .object([("kind", .string(which.rawValue)), ("values", .array(values.values.map(JSONValue.string))),
                                    ("skipped", .int(values.skipped))]),
                     text: values.values.joined(separator: "\n"))
            return 0
        }
    }
}

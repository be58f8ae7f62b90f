import GovernanceCore

extension TopLevel {
    /// `help [COMMAND...]`, `help exit-codes`.
    enum HelpCommand {
        static let words: Positional<[String]> = .rest("COMMAND", "A group or command, e.g. `audit log`, or exit-codes", optional: true,
                                                       completion: .command)

        static let command = CommandSpec(
            "help", "Show help for a command (or `help exit-codes`)",
            doc: "The same text as COMMAND --help. `help exit-codes` prints the exit-code table; with --json as one document. `help COMMAND --json` is {\"command\",\"summary\",\"schema\",\"error_schema\",\"help\"}: `schema` is the JSON Schema (docs/schemas/) of what COMMAND writes with --json, null for a group.",
            positionals: [words],
            examples: ["governance help audit log", "governance help exit-codes --json"],
            role: .meta
        ) { args, run in
            let words = try args[HelpCommand.words]
            if words == ["exit-codes"] {
                let table = ExitCodeTable(table: run.table)
                switch run.format {
                case .json: run.console.line(JSONWriter.ordered(table.json))
                case .text: run.console.write(table.text)
                }
                return 0
            }
            guard words.isEmpty || run.table.command(words) != nil || run.table.isGroup(words) else {
                let known = run.table.children(of: Array(words.dropLast())) + (words.count == 1 ? ["exit-codes"] : [])
                let hint = Suggest.closest(to: words.last!, in: known).map { "did you mean `governance help \((words.dropLast() + [$0]).joined(separator: " "))`?" }
                throw GovernanceError.usage("no help for unknown command \(Render.quoted(words.joined(separator: " ")))",
                                            hint: hint ?? "run `governance help` to see the commands")
            }
            let text = Help.text(for: words, table: run.table)
            switch run.format {
            case .json:
                // A command names the schema of its JSON output; a group has none of its own.
                let command = run.table.command(words)
                run.console.line(JSONWriter.ordered(.object([
                    ("command", .string(words.joined(separator: " "))),
                    ("summary", .optional(command?.summary)),
                    ("schema", .optional(command?.schemaPath)),
                    ("error_schema", .string("docs/schemas/error.json")),
                    ("help", .string(text)),
                ])))
            case .text: run.console.write(text)
            }
            return 0
        }
    }
}

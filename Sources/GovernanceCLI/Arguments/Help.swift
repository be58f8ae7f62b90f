import GovernanceCore

/// `--help` text, generated from the command table.
public enum Help {
    public static func text(for words: [String], table: CommandTable) -> String {
        if let command = table.command(words) { return commandHelp(command) }
        return groupHelp(words, table: table)
    }

    static func wrap(_ text: String, indent: Int, width: Int = 80) -> String {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && pad.count + line.count + 1 + word.count > width {
                    lines.append(pad + line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            lines.append(line.isEmpty ? "" : pad + line)
        }
        return lines.joined(separator: "\n")
    }

    static func flagTable(_ flags: [FlagSpec]) -> String {
        let width = min(34, (flags.map(\.usage.count).max() ?? 0) + 2)
        return flags.map { flag in
            var summary = flag.summary
            if !flag.choices.isEmpty { summary += " [\(flag.choices.joined(separator: "|"))]" }
            if let env = flag.environment { summary += " (env: \(env.name))" }
            switch flag.requirement {
            case .optional: break
            case .required: summary += " (required)"
            case .requiredUnless(let others): summary += " (required unless " + others.map { "--" + $0.name }.joined(separator: " or ") + ")"
            }
            let left = "  " + flag.usage
            if left.count + 2 > width + 2 {
                return left + "\n" + String(repeating: " ", count: width + 2) + summary
            }
            return left + String(repeating: " ", count: width + 2 - left.count) + summary
        }.joined(separator: "\n")
    }

    /// `governance audit log --agent ID --kind KIND --session UUID [flags] [FILE]`: required flags
    /// are spelt out, the rest summarised.
    public static func usageLine(_ command: CommandSpec) -> String {
        var parts = ["governance", command.name]
        for flag in command.flags where flag.isRequired {
            parts.append("--" + flag.name + (flag.valueName.map { " " + $0 } ?? ""))
        }
        if command.flags.contains(where: { !$0.isRequired }) { parts.append("[flags]") }
        for p in command.positionals {
            var name = p.name + (p.variadic ? "..." : "")
            if p.optional { name = "[\(name)]" }
            parts.append(name)
        }
        return parts.joined(separator: " ")
    }

    /// Shown in help beside the global flags; the parser handles them itself.
    static let helpFlag = FlagSpec("help", short: "h", kind: .toggle, "Show help (also: governance help COMMAND)")
    static let versionFlag = FlagSpec("version", kind: .toggle, "Print the version")

    public static func commandHelp(_ command: CommandSpec) -> String {
        var out = "governance \(command.name) - \(command.summary)\n\nUsage: \(usageLine(command))\n"
        if !command.doc.isEmpty { out += "\n" + wrap(command.doc, indent: 0) + "\n" }
        if !command.positionals.isEmpty {
            out += "\nArguments:\n"
            let width = (command.positionals.map(\.name.count).max() ?? 0) + 4
            for p in command.positionals {
                out += "  " + p.name + String(repeating: " ", count: width - p.name.count) + p.summary
                if !p.choices.isEmpty { out += " [\(p.choices.joined(separator: "|"))]" }
                out += "\n"
            }
        }
        if !command.flags.isEmpty { out += "\nFlags:\n" + flagTable(command.flags) + "\n" }
        out += "\nGlobal flags:\n" + flagTable(GlobalFlags.all + [helpFlag]) + "\n"
        if !command.examples.isEmpty {
            out += "\nExamples:\n" + command.examples.map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        out += "\nExit codes: " + command.exitKinds.map { "\($0.exitCode) \($0.rawValue)" }.joined(separator: ", ")
        out += " (`governance help exit-codes`).\n"
        return out
    }

    /// What the tool does today; kept in step with the groups that exist.
    public static let tagline = "govern AI agents from the outside: a tamper-evident audit trail, default-deny scopes, exact budgets, loop detection, a kill switch, approvals, contracts and Article 12 evidence"

    public static func groupHelp(_ words: [String], table: CommandTable) -> String {
        var out = ""
        if words.isEmpty {
            out += "governance - \(tagline)\n\n"
            out += "Usage: governance [global flags] GROUP COMMAND [flags] [args]\n\n"
        } else if let group = table.group(words[0]) {
            out += "governance \(words[0]) - \(group.summary)\n\nUsage: governance \(words[0]) COMMAND [flags]\n\n"
            out += wrap(group.doc, indent: 0) + "\n\n"
        }
        out += "Commands:\n"
        let width = (table.commands(under: words).map { $0.name.count }.max() ?? 0) + 4
        for group in table.groups {
            let commands = group.commands.filter { words.isEmpty || Array($0.path.prefix(words.count)) == words }
            guard !commands.isEmpty else { continue }
            if words.isEmpty, let name = group.name { out += "\n  \(name): \(group.summary)\n" }
            for c in commands {
                out += "    " + c.name + String(repeating: " ", count: width - c.name.count) + c.summary + "\n"
            }
        }
        out += "\nGlobal flags:\n" + flagTable(GlobalFlags.all + [helpFlag] + (words.isEmpty ? [versionFlag] : [])) + "\n"
        out += "\nRun `governance \((words + ["COMMAND", "--help"]).joined(separator: " "))` for a command's flags"
        out += words.isEmpty ? ", `governance help exit-codes` for exit codes.\n" : ".\n"
        return out
    }
}

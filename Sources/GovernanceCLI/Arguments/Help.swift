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
            if let env = flag.environment { summary += " (env: \(env))" }
            let left = "  " + flag.usage
            if left.count + 2 > width + 2 {
                return left + "\n" + String(repeating: " ", count: width + 2) + summary
            }
            return left + String(repeating: " ", count: width + 2 - left.count) + summary
        }.joined(separator: "\n")
    }

    public static func usageLine(_ command: CommandSpec) -> String {
        var parts = ["governance", command.name]
        // Required flags are the ones named by the doc as required; show all with values briefly.
        if !command.flags.isEmpty { parts.append("[flags]") }
        for p in command.positionals {
            var name = p.name + (p.variadic ? "..." : "")
            if p.optional { name = "[\(name)]" }
            parts.append(name)
        }
        return parts.joined(separator: " ")
    }

    /// Shown in help beside the global flags; the parser handles them itself.
    static let helpFlag = FlagSpec("help", short: "h", "Show help (also: governance help COMMAND)")
    static let versionFlag = FlagSpec("version", "Print the version")

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
        out += "\nExit codes: see `governance help exit-codes` or docs/EXIT-CODES.md.\n"
        return out
    }

    public static func groupHelp(_ words: [String], table: CommandTable) -> String {
        var out = ""
        if words.isEmpty {
            out += "governance - govern AI agents from the outside: audit, policies, budgets, approvals\n\n"
            out += "Usage: governance [global flags] GROUP COMMAND [flags] [args]\n\n"
        } else if let group = table.group(words[0]) {
            out += "governance \(group.name) - \(group.summary)\n\nUsage: governance \(group.name) COMMAND [flags]\n\n"
            out += wrap(group.doc, indent: 0) + "\n\n"
        }
        out += "Commands:\n"
        let commands = table.commands(under: words)
        let width = (commands.map { $0.name.count }.max() ?? 0) + 4
        var lastGroup: String?
        for c in commands {
            if words.isEmpty, c.path.count > 1, c.path[0] != lastGroup, let group = table.group(c.path[0]) {
                out += "\n  \(group.name): \(group.summary)\n"
            } else if words.isEmpty, c.path.count == 1, lastGroup != nil, lastGroup != "" {
                out += "\n"
            }
            lastGroup = c.path.count > 1 ? c.path[0] : ""
            out += "    " + c.name + String(repeating: " ", count: width - c.name.count) + c.summary + "\n"
        }
        out += "\nGlobal flags:\n" + flagTable(GlobalFlags.all + [helpFlag] + (words.isEmpty ? [versionFlag] : [])) + "\n"

        out += "\nRun `governance \((words + ["COMMAND", "--help"]).joined(separator: " "))` for a command's flags.\n"
        return out
    }

    /// The exit-code table, for `governance help exit-codes`.
    public static let exitCodes: [(Int32, String, String)] = [
        (0, "ok", "ok, allowed, verified"),
        (1, GovernanceError.Kind.internalError.rawValue, "internal error"),
        (2, "usage / invalid_input", "usage or invalid input; nothing written"),
        (3, GovernanceError.Kind.configuration.rawValue, "configuration (secret, URL, schema)"),
        (4, GovernanceError.Kind.storeUnavailable.rawValue, "store unavailable (failed closed)"),
        (10, GovernanceError.Kind.scopeViolation.rawValue, "scope violation"),
        (11, GovernanceError.Kind.noPolicy.rawValue, "no policy registered"),
        (12, GovernanceError.Kind.budgetExceeded.rawValue, "budget exceeded"),
        (13, GovernanceError.Kind.loopDetected.rawValue, "loop detected"),
        (14, GovernanceError.Kind.contractViolation.rawValue, "contract violation"),
        (15, GovernanceError.Kind.agentKilled.rawValue, "agent killed by an operator"),
        (16, GovernanceError.Kind.approvalDenied.rawValue, "approval denied"),
        (17, GovernanceError.Kind.approvalTimedOut.rawValue, "approval timed out"),
        (18, GovernanceError.Kind.approvalPending.rawValue, "approval pending (non-blocking)"),
        (19, GovernanceError.Kind.approvalTokenRejected.rawValue, "approval token rejected"),
        (20, GovernanceError.Kind.integrityFailure.rawValue, "audit chain integrity failure"),
        (21, GovernanceError.Kind.complianceBelowThreshold.rawValue, "compliance report below --fail-on"),
        (22, GovernanceError.Kind.operatorNotPermitted.rawValue, "operator not permitted (self-approval)"),
    ]

    public static var exitCodeText: String {
        "Exit codes (scripts branch on them):\n" + exitCodes.map { code, name, meaning in
            let c = String(code)
            return "  " + String(repeating: " ", count: 3 - c.count) + c + "  " + name + String(repeating: " ", count: max(1, 28 - name.count)) + meaning
        }.joined(separator: "\n") + "\n"
    }
}

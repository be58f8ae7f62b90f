import GovernanceCore

/// roff man pages generated from the command table: governance(1) with the top-level commands,
/// and one page per named group.
public enum ManPage {
    public static func escape(_ text: String) -> String {
        var out = text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }

    static func header(_ name: String, _ summary: String) -> String {
        ".TH \(name.uppercased()) 1 \"\" \"governance \(CLI.version)\" \"governance manual\"\n.SH NAME\n\(escape(name)) \\- \(escape(summary))\n"
    }

    static func flags(_ flags: [FlagSpec]) -> String {
        flags.map { f in
            var tag = f.short.map { "\\fB\\-\($0)\\fR, " } ?? ""
            tag += "\\fB\\-\\-\(escape(f.name))\\fR"
            if let v = f.valueName { tag += " \\fI\(escape(v))\\fR" }
            var body = escape(f.summary) + "."
            if !f.doc.isEmpty { body += " " + escape(f.doc) }
            if !f.choices.isEmpty { body += " One of: " + escape(f.choices.joined(separator: ", ")) + "." }
            switch f.requirement {
            case .optional: break
            case .required: body += " Required."
            case .requiredUnless(let others): body += " Required unless " + others.map { "\\fB\\-\\-\(escape($0.name))\\fR" }.joined(separator: " or ") + " is given."
            }
            if let env = f.environment { body += " Environment: \\fB\(escape(env.name))\\fR." }
            return ".TP\n\(tag)\n\(body)\n"
        }.joined()
    }

    static func command(_ c: CommandSpec) -> String {
        var out = ".SS \\fBgovernance \(escape(c.name))\\fR\n\(escape(c.summary)).\n"
        out += ".PP\n\\fB\(escape(Help.usageLine(c)))\\fR\n"
        if !c.doc.isEmpty {
            for paragraph in c.doc.split(separator: "\n", omittingEmptySubsequences: true) { out += ".PP\n\(escape(String(paragraph)))\n" }
        }
        for p in c.positionals {
            out += ".TP\n\\fI\(escape(p.name))\\fR\n\(escape(p.summary))\(p.choices.isEmpty ? "" : " (" + escape(p.choices.joined(separator: ", ")) + ")").\n"
        }
        out += flags(c.flags)
        out += ".PP\nExit status: " + c.exitKinds.map { "\($0.exitCode) (\(escape($0.rawValue)))" }.joined(separator: ", ") + ".\n"
        if !c.examples.isEmpty {
            out += ".PP\nExamples:\n.RS\n.nf\n" + c.examples.map { escape($0) }.joined(separator: "\n") + "\n.fi\n.RE\n"
        }
        return out
    }

    static func exitStatus(_ table: CommandTable) -> String {
        ".SH EXIT STATUS\n" + ExitCodeTable(table: table).rows.map { row in
            ".TP\n\\fB\(row.label)\\fR\n\(escape(row.meaning)) (\(escape(row.names.joined(separator: ", ")))).\n"
        }.joined()
    }

    /// Every variable the tool reads: the documented list, which a test checks covers every
    /// flag's fallback.
    static func environment(_ table: CommandTable) -> String {
        ".SH ENVIRONMENT\n" + EnvironmentVariable.all.map { variable in
            let flags = Set((GlobalFlags.all + table.commands.flatMap(\.flags)).filter { $0.environment == variable }.map(\.name)).sorted()
            let fallback = flags.isEmpty ? "" : " Read when " + flags.map { "\\fB\\-\\-\(escape($0))\\fR" }.joined(separator: " or ") + " is not given."
            return ".TP\n\\fB\(escape(variable.name))\\fR\n\(escape(variable.doc))\(fallback)\n"
        }.joined()
    }

    public static func main(_ table: CommandTable) -> String {
        var out = header("governance", Help.tagline)
        out += ".SH SYNOPSIS\n\\fBgovernance\\fR [\\fIglobal flags\\fR] \\fIGROUP COMMAND\\fR [\\fIflags\\fR] [\\fIargs\\fR]\n"
        out += ".SH DESCRIPTION\n\\fBgovernance\\fR governs AI agents from the outside, in SQLite or PostgreSQL: " +
            table.namedGroups.map { "\\fB\(escape($0.name!))\\fR (\(escape($0.summary.prefix(1).lowercased() + $0.summary.dropFirst())))" }.joined(separator: ", ") +
            ". Each command group has its own page.\n"
        out += ".SH COMMANDS\n"
        for group in table.groups where group.name == nil {
            for c in group.commands { out += command(c) }
        }
        for g in table.namedGroups {
            out += ".TP\n\\fB\(escape(g.manPageName))\\fR(1)\n\(escape(g.summary)): " +
                g.commands.map { escape($0.path.last!) }.joined(separator: ", ") + ".\n"
        }
        out += ".SH GLOBAL FLAGS\n" + flags(GlobalFlags.all)
        out += ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nShow help.\n.TP\n\\fB\\-\\-version\\fR\nPrint the version.\n"
        out += environment(table) + exitStatus(table)
        let pages = table.namedGroups.map(\.manPageName) + table.commands.compactMap(\.manPageName)
        out += ".SH SEE ALSO\n" + pages.map { "\\fB\(escape($0))\\fR(1)" }.joined(separator: ", ") + "\n"
        return out
    }

    /// The page of a command that has one of its own (`exec`): its section of the group's page,
    /// with the exit statuses it can end with, its own included.
    public static func commandPage(_ c: CommandSpec, table: CommandTable) -> String {
        var out = header(c.manPageName!, c.summary)
        out += ".SH SYNOPSIS\n\\fB\(escape(Help.usageLine(c)))\\fR\n"
        out += ".SH DESCRIPTION\n" + command(c)
        out += ".SH GLOBAL FLAGS\nSee \\fBgovernance\\fR(1).\n"
        let codes = Set(c.exitKinds.map(\.exitCode))
        out += ".SH EXIT STATUS\n" + ExitCodeTable(table: table).rows.filter { $0.code == 0 || codes.contains($0.code) || $0.commands.contains(c.name) }.map { row in
            ".TP\n\\fB\(row.label)\\fR\n\(escape(row.meaning)) (\(escape(row.names.joined(separator: ", ")))).\n"
        }.joined() + ".PP\nOtherwise the status of the command it ran.\n"
        out += ".SH SEE ALSO\n\\fBgovernance\\fR(1)\n"
        return out
    }

    public static func group(_ name: String, table: CommandTable) -> String {
        let g = table.group(name)!
        var out = header(g.manPageName, g.summary)
        out += ".SH SYNOPSIS\n\\fBgovernance \(escape(name))\\fR \\fICOMMAND\\fR [\\fIflags\\fR]\n"
        out += ".SH DESCRIPTION\n\(escape(g.doc))\n.SH COMMANDS\n"
        for c in g.commands { out += command(c) }
        out += ".SH GLOBAL FLAGS\nSee \\fBgovernance\\fR(1).\n" + exitStatus(table)
        out += ".SH SEE ALSO\n\\fBgovernance\\fR(1)\n"
        return out
    }
}

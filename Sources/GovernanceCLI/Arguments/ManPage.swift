import GovernanceCore

/// roff man pages generated from the command table: governance(1) and one page per group.
public enum ManPage {
    static func escape(_ text: String) -> String {
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
            if let env = f.environment { body += " Environment: \\fB\(escape(env))\\fR." }
            return ".TP\n\(tag)\n\(body)\n"
        }.joined()
    }

    static func command(_ c: CommandSpec) -> String {
        var out = ".SS \\fBgovernance \(escape(c.name))\\fR\n\(escape(c.summary)).\n"
        out += ".PP\n\\fB\(escape(Help.usageLine(c)))\\fR\n"
        if !c.doc.isEmpty { out += ".PP\n\(escape(c.doc))\n" }
        for p in c.positionals {
            out += ".TP\n\\fI\(escape(p.name))\\fR\n\(escape(p.summary))\(p.choices.isEmpty ? "" : " (" + escape(p.choices.joined(separator: ", ")) + ")").\n"
        }
        out += flags(c.flags)
        if !c.examples.isEmpty {
            out += ".PP\nExamples:\n.RS\n.nf\n" + c.examples.map { escape($0) }.joined(separator: "\n") + "\n.fi\n.RE\n"
        }
        return out
    }

    static let exitStatus: String = {
        ".SH EXIT STATUS\n" + Help.exitCodes.map { ".TP\n\\fB\($0.0)\\fR\n\(escape($0.2)) (\(escape($0.1))).\n" }.joined()
    }()

    static let environment = """
    .SH ENVIRONMENT
    .TP
    \\fBGOVERNANCE_HOME\\fR
    Home of the embedded store, its generated secret and the spool; default \\fI${XDG_STATE_HOME:\\-$HOME/.local/state}/governance\\fR.
    .TP
    \\fBGOVERNANCE_DATABASE_URL\\fR
    The store, when \\fB\\-\\-database\\-url\\fR is not given.
    .TP
    \\fBGOVERNANCE_AUDIT_SECRET\\fR, \\fBGOVERNANCE_AUDIT_SECRET_FILE\\fR
    The audit secret, or a file holding it. At least 32 bytes with 10 distinct bytes.
    .TP
    \\fBGOVERNANCE_SESSION_ID\\fR, \\fBGOVERNANCE_AGENT_ID\\fR
    Defaults for \\fB\\-\\-session\\fR and \\fB\\-\\-agent\\fR.

    """

    public static func main(_ table: CommandTable) -> String {
        var out = header("governance", "govern AI agents from the outside")
        out += ".SH SYNOPSIS\n\\fBgovernance\\fR [\\fIglobal flags\\fR] \\fIGROUP COMMAND\\fR [\\fIflags\\fR] [\\fIargs\\fR]\n"
        out += ".SH DESCRIPTION\n\\fBgovernance\\fR keeps a tamper\\-evident, HMAC\\-chained audit trail of what AI agents do, in SQLite or PostgreSQL.\n"
        out += ".SH COMMANDS\n"
        for c in table.commands where c.path.count == 1 { out += command(c) }
        for g in table.groups {
            out += ".TP\n\\fBgovernance\\-\(escape(g.name))\\fR(1)\n\(escape(g.summary)): " +
                table.commands(under: [g.name]).map { escape($0.path.last!) }.joined(separator: ", ") + ".\n"
        }
        out += ".SH GLOBAL FLAGS\n" + flags(GlobalFlags.all)
        out += ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nShow help.\n.TP\n\\fB\\-\\-version\\fR\nPrint the version.\n"
        out += environment + exitStatus
        out += ".SH SEE ALSO\n" + table.groups.map { "\\fBgovernance\\-\(escape($0.name))\\fR(1)" }.joined(separator: ", ") + "\n"
        return out
    }

    public static func group(_ name: String, table: CommandTable) -> String {
        let g = table.group(name)!
        var out = header("governance-\(name)", g.summary)
        out += ".SH SYNOPSIS\n\\fBgovernance \(escape(name))\\fR \\fICOMMAND\\fR [\\fIflags\\fR]\n"
        out += ".SH DESCRIPTION\n\(escape(g.doc))\n.SH COMMANDS\n"
        for c in table.commands(under: [name]) { out += command(c) }
        out += ".SH GLOBAL FLAGS\nSee \\fBgovernance\\fR(1).\n" + exitStatus
        out += ".SH SEE ALSO\n\\fBgovernance\\fR(1)\n"
        return out
    }
}

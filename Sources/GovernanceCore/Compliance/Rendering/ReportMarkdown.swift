/// The report as GitHub-flavoured Markdown. Store text is escaped for Markdown and for the HTML a
/// Markdown viewer may pass through: table cells cannot break their row (pipes, newlines), code
/// spans cannot be closed (backticks), and no tag or link can be formed.
public enum ReportMarkdown {
    public static func render(_ report: ComplianceReport) -> String {
        var out = "# " + escape(report.title) + "\n\n"
        out += "| | |\n|---|---|\n"
        for (label, value) in ReportHeader.fields(report) { out += "| " + label + " | " + cell(value) + " |\n" }
        out += "\n> " + ComplianceReport.coverageCaveat + " `coverage_pct`: null.\n>\n> " + ComplianceReport.integrityNote
            + "\n>\n> " + ComplianceReport.statusNote + "\n\n"
        out += "## Status at a glance\n\n| Section | Articles | Status |\n|---|---|---|\n"
        for s in report.sections { out += "| \(cell(s.title)) | \(cell(s.articles.joined(separator: ", "))) | \(badge(s.status)) |\n" }
        if !report.chainFailures.isEmpty {
            out += "\n**Chain integrity: FAILED** in \(report.chainFailures.count) session(s); see Event registration.\n"
        }
        for (i, s) in report.sections.enumerated() {
            out += "\n## \(i + 1). \(escape(s.title)): \(badge(s.status))\n\n"
            out += "*\(escape(s.articles.joined(separator: ", ")))*: \(escape(s.description))\n\n"
            for f in s.findings { out += "- " + escape(f) + "\n" }
            if !s.facts.isEmpty {
                out += "\n| Figure | Value |\n|---|---|\n"
                for (label, value) in s.facts { out += "| \(cell(label)) | \(cell(value)) |\n" }
            }
            for t in s.tables where !t.rows.isEmpty {
                out += "\n**\(escape(t.title))**\n\n| " + t.columns.map(cell).joined(separator: " | ") + " |\n|"
                    + t.columns.map { _ in "---|" }.joined() + "\n"
                for row in t.rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
                if t.omitted > 0 { out += "\n*" + t.omittedLine + "*\n" }
            }
        }
        if let signOff = report.options.metadata.signOff {
            out += "\n## Sign-off\n\n"
            if let statement = signOff.statement { out += escape(statement) + "\n\n" }
            out += "| | |\n|---|---|\n"
            for (label, value) in report.options.metadata.signOffFields { out += "| " + label + " | " + cell(value) + " |\n" }
        }
        return out
    }

    static func badge(_ status: EvidenceStatus) -> String {
        switch status {
        case .compliant: "**compliant**"
        case .partial: "**PARTIAL**"
        case .nonCompliant: "**NON-COMPLIANT**"
        case .notApplicable: "not applicable"
        }
    }

    /// Text for a Markdown paragraph: every punctuation character Markdown or HTML give meaning
    /// to becomes a character reference or a backslash escape, and line breaks become spaces
    /// (so a value cannot start a heading, a list or a table row).
    public static func escape(_ text: String) -> String {
        TerminalText.escaped(text) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "|": "&#124;"
            case "`": "&#96;"
            case "\"": "&quot;"
            case "\\", "*", "_", "[", "]", "#", "!", "~": "\\" + String(scalar)
            case "\n", "\r", "\u{2028}", "\u{2029}": " "
            default: nil
            }
        }
    }

    /// A table cell: `escape`, which already keeps pipes and newlines out.
    static func cell(_ text: String) -> String { escape(text) }
}

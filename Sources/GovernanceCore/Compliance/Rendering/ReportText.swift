/// The report as plain text for a terminal or a log: every string from the store is escaped
/// (TerminalText), so a stored id cannot move the cursor or forge a line.
public enum ReportText {
    public static func render(_ report: ComplianceReport) -> String {
        func esc(_ s: String) -> String { TerminalText.escaped(s) }
        var out = esc(report.title) + "\n"
        out += String(repeating: "=", count: min(78, report.title.count)) + "\n"
        out += fields(ReportHeader.fields(report).map { ($0.0, esc($0.1)) }) + "\n\n"
        out += "Status at a glance\n"
        let width = report.sections.map(\.title.count).max() ?? 0
        for s in report.sections {
            out += "  " + s.title + String(repeating: " ", count: width - s.title.count) + "  " + marker(s.status) + "\n"
        }
        for (i, s) in report.sections.enumerated() {
            out += "\n\(i + 1). \(s.title) [\(s.status.rawValue)]  \(s.articles.joined(separator: ", "))\n"
            out += "   \(s.description)\n"
            for f in s.findings { out += "   - " + esc(f) + "\n" }
            if !s.facts.isEmpty { out += indent(fields(s.facts.map { ($0.0, esc($0.1)) }), by: 3) + "\n" }
            for t in s.tables where !t.rows.isEmpty { out += table(t, esc) }
        }
        if let signOff = report.options.metadata.signOff {
            out += "\nSign-off\n"
            if let statement = signOff.statement { out += "   " + esc(statement) + "\n" }
            out += indent(fields(report.options.metadata.signOffFields.map { ($0.0, esc($0.1)) }), by: 3) + "\n"
        }
        out += "\n" + ComplianceReport.coverageCaveat + " coverage_pct: null.\n"
        out += ComplianceReport.integrityNote + "\n" + ComplianceReport.statusNote + "\n"
        return out
    }

    static func marker(_ status: EvidenceStatus) -> String {
        switch status {
        case .compliant: "compliant       (evidence sufficient)"
        case .partial: "PARTIAL         (evidence partial)"
        case .nonCompliant: "NON-COMPLIANT   (evidence insufficient)"
        case .notApplicable: "not applicable"
        }
    }

    static func fields(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }.joined(separator: "\n")
    }

    static func indent(_ text: String, by n: Int) -> String {
        let pad = String(repeating: " ", count: n)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
    }

    static func table(_ t: ReportTable, _ esc: (String) -> String) -> String {
        let rows = t.rows.map { $0.map(esc) }
        var widths = t.columns.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            "   " + cells.enumerated().map { $0.element + String(repeating: " ", count: max(0, widths[$0.offset] - $0.element.count)) }
                .joined(separator: "  ").trimmingTrailingSpaces + "\n"
        }
        var out = "   \(t.title):\n" + line(t.columns)
        for row in rows { out += line(row) }
        if t.omitted > 0 { out += "   ... " + t.omittedLine + "\n" }
        return out
    }
}

/// The header every format shows, in one place: the system named by the report's metadata first,
/// then the report's own facts. Times are for people (`2026-11-24 08:15 UTC`); the JSON report
/// keeps the exact values.
enum ReportHeader {
    static func fields(_ r: ComplianceReport) -> [(String, String)] {
        let f = r.options.filters
        var filters: [String] = []
        if let a = f.agentID { filters.append("agent " + a) }
        if !f.sessionIDs.isEmpty { filters.append("session " + f.sessionIDs.map(\.value).joined(separator: ", ")) }
        if let t = f.from { filters.append("from " + t.readable(seconds: true)) }
        if let t = f.to { filters.append("to " + t.readable(seconds: true)) }
        return r.options.metadata.fields + [
            ("Report id", r.reportID),
            ("Generated at", r.generatedAt.readable()),
            ("Kind", r.kind.rawValue),
            ("Filters", filters.isEmpty ? "none (every event in the store)" : filters.joined(separator: "; ")),
            ("Period", r.evidence.firstAt.map { "\($0.readable()) to \(r.evidence.lastAt!.readable())" } ?? "no events"),
            ("Events read", grouped(r.evidence.events)),
            ("Chain integrity", r.chainIntegrity.rawValue + (r.chainIntegrity == .unverified ? " (run with --verify-chain)" : r.chainIntegrity == .empty ? " (no chain read: nothing to verify)" : "")),
            ("Annex III 1(a)", r.options.annexIII1a ? "yes: Art. 12(3) applies" : "no: Art. 12(3) sections not applicable"),
            ("Coverage", "coverage_pct null: only actions routed through governance are included"),
            ("Generation audited", r.options.recordGeneration ? "yes (report.generated)" : "no (--no-record: generated with read access only)"),
        ]
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

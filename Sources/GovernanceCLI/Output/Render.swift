import GovernanceCore

public enum OutputFormat: String, Sendable {
    case text, json
}

/// Text and JSON renderings shared by the commands. Text that reaches a terminal from the store or
/// from the user goes through `escaped`, so that a stored agent id cannot move the cursor, retitle
/// the window or forge a line.
public enum Render {
    /// `governance: error: MESSAGE` / `hint: RECOVERY`, or `{"error":{...}}` with --json.
    public static func error(_ error: GovernanceError, format: OutputFormat) -> String {
        switch format {
        case .text:
            var text = "governance: error: \(escaped(error.message))\n"
            if let hint = error.recoveryHint { text += "hint: \(escaped(hint))\n" }
            return text
        case .json:
            var members: [(String, JSONValue)] = [
                ("code", .string(error.kind.rawValue)),
                ("message", .string(error.message)),
                ("recovery_hint", .optional(error.recoveryHint)),
                ("exit_code", .int(Int(error.exitCode))),
            ]
            members += error.details
            return JSONWriter.ordered(.object([("error", .object(members))])) + "\n"
        }
    }

    /// Text safe for a terminal: control characters (C0, DEL, C1), line and paragraph separators
    /// and bidirectional overrides are shown as escapes (`\n`, `\x1b`, `\u{202e}`).
    public static func escaped(_ text: String) -> String {
        TerminalText.escaped(text)
    }

    /// A core message, whose values are already quoted with JSON escapes (`"\u001b"`): its
    /// controls are escaped and its backslashes kept, so that each control in a value is shown
    /// escaped once (`escaped` would show `"\\u001b"`).
    public static func message(_ text: String) -> String {
        TerminalText.escaped(text, backslashes: false)
    }

    /// User input quoted for a message: `"..."` with quotes, backslashes and controls escaped.
    public static func quoted(_ text: String) -> String {
        "\"" + TerminalText.escaped(text, quoting: true) + "\""
    }

    /// Aligned `key  value` lines for text output.
    public static func fields(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + escaped($0.1) }.joined(separator: "\n")
    }

    /// One event as a line of text: time, session, seq, agent, kind, model, which hashes were
    /// stored, and metadata.
    public static func eventLine(_ r: AuditRecord) -> String {
        var text = "\(r.createdAt.iso8601)  \(escaped(r.sessionID))  #\(r.seq)  \(escaped(r.agentID))  \(escaped(r.kind))"
        if let model = r.model { text += "  model=\(escaped(model))" }
        if let hash = r.inputHash { text += "  input=\(escaped(String(hash.prefix(12))))" }
        if let hash = r.outputHash { text += "  output=\(escaped(String(hash.prefix(12))))" }
        if r.metadataJSON != "{}" { text += "  \(TerminalText.escaped(r.metadataJSON, backslashes: false))" }
        return text
    }

    /// `1234567` -> `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `1 event`, `2 events`, `1,000 rows`.
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(grouped(n)) \(n == 1 ? singular : plural ?? singular + "s")"
    }

}

extension Render {
    /// Aligned columns under an upper-case header, as kubectl prints them. Cells must already be
    /// escaped; empty cells print as `-`.
    public static func columns(_ header: [String], _ rows: [[String]]) -> String {
        let cells = [header] + rows.map { $0.map { $0.isEmpty ? "-" : $0 } }
        var widths = header.map(\.count)
        for row in cells { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return cells.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 3) }
                .joined()
        }.joined(separator: "\n")
    }
}

import GovernanceCore

public enum OutputFormat: String, Sendable {
    case text, json
}

/// Text and JSON renderings shared by the commands.
public enum Render {
    /// `governance: error: MESSAGE` / `hint: RECOVERY`, or `{"error":{...}}` with --json.
    public static func error(_ error: GovernanceError, format: OutputFormat) -> String {
        switch format {
        case .text:
            var text = "governance: error: \(error.message)\n"
            if let hint = error.recoveryHint { text += "hint: \(hint)\n" }
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

    /// Aligned `key  value` lines for text output.
    public static func fields(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// One event as a line of text: time, session, seq, agent, kind, model and metadata.
    public static func eventLine(_ r: AuditRecord) -> String {
        var text = "\(r.createdAt.iso8601)  \(r.sessionID)  #\(r.seq)  \(r.agentID)  \(r.kind)"
        if let model = r.model { text += "  model=\(model)" }
        if r.metadataJSON != "{}" { text += "  \(r.metadataJSON)" }
        return text
    }

    /// `1234567` -> `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}

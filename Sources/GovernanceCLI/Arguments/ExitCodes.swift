import GovernanceCore

/// The exit-code table, generated from the error kinds and the command table: a code is
/// "reserved" until some command in the table can end with it. `help exit-codes`, the man pages
/// and docs/EXIT-CODES.md all print this.
public struct ExitCodeTable: Sendable {
    public struct Row: Sendable {
        public let code: Int32
        /// The error codes (`code` in JSON errors) that end with this status.
        public let names: [String]
        public let meaning: String
        /// The commands that can end with it (empty for 0, 1, 2 and 3, which every command can).
        public let commands: [String]
        public let reserved: Bool
    }

    public let rows: [Row]

    public init(table: CommandTable) {
        var rows = [Row(code: 0, names: ["ok"], meaning: "ok: done, allowed, verified", commands: [], reserved: false)]
        let byCode = Dictionary(grouping: GovernanceError.Kind.allCases, by: \.exitCode)
        for code in byCode.keys.sorted() {
            let kinds = byCode[code]!
            let universal = code <= 3
            let commands = universal ? [] : table.commands.filter { c in c.exitKinds.contains { $0.exitCode == code } }.map(\.name)
            rows.append(Row(code: code, names: kinds.map(\.rawValue), meaning: kinds.map(\.meaning).joined(separator: "; "),
                            commands: commands, reserved: !universal && commands.isEmpty))
        }
        self.rows = rows
    }

    public var text: String {
        "Exit codes (scripts branch on them; \"reserved\" codes belong to command groups not built yet):\n" + rows.map { row in
            let c = String(row.code)
            let name = row.names.joined(separator: ", ")
            return "  " + String(repeating: " ", count: 3 - c.count) + c + "  " + name + String(repeating: " ", count: max(1, 28 - name.count))
                + (row.reserved ? "(reserved) " : "") + row.meaning
        }.joined(separator: "\n") + "\n"
    }

    public var json: JSONValue {
        .object([("exit_codes", .array(rows.map { row in
            .object([("code", .int(Int(row.code))), ("names", .array(row.names.map(JSONValue.string))),
                     ("meaning", .string(row.meaning)), ("reserved", .bool(row.reserved)),
                     ("commands", .array(row.commands.map(JSONValue.string)))])
        }))])
    }

    /// The Markdown table in docs/EXIT-CODES.md between its generated markers.
    public var markdown: String {
        "| code | name | meaning | commands |\n|---:|---|---|---|\n" + rows.map { row in
            let commands = row.code <= 3 ? "every command" : row.reserved ? "reserved: no command yet" : row.commands.map { "`\($0)`" }.joined(separator: ", ")
            return "| \(row.code) | \(row.names.map { "`\($0)`" }.joined(separator: ", ")) | \(row.meaning) | \(commands) |"
        }.joined(separator: "\n") + "\n"
    }
}

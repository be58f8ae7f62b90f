import GovernanceCore

/// The exit-code table, generated from the error kinds, the command table and `exec`'s own
/// statuses (`ExecStatus`). Every code in it is one some command can end with (a test checks
/// this), so none is listed without a use. `help exit-codes`, the man pages and
/// docs/EXIT-CODES.md all print this.
public struct ExitCodeTable: Sendable {
    public struct Row: Sendable {
        public let code: Int32
        /// The code as printed: `124`, or `128+N` for the signal row.
        public let label: String
        /// The error codes (`code` in JSON errors) that end with this status.
        public let names: [String]
        public let meaning: String
        /// The commands that can end with it (empty for 0, 1, 2 and 3, which every command can).
        public let commands: [String]
    }

    public let rows: [Row]

    public init(table: CommandTable) {
        var rows = [Row(code: 0, label: "0", names: ["ok"], meaning: "ok: done, allowed, verified", commands: [])]
        let byCode = Dictionary(grouping: GovernanceError.Kind.allCases, by: \.exitCode)
        for code in byCode.keys.sorted() {
            let kinds = byCode[code]!
            let universal = code <= 3
            let commands = universal ? [] : table.commands.filter { c in c.exitKinds.contains { $0.exitCode == code } }.map(\.name)
            rows.append(Row(code: code, label: String(code), names: kinds.map(\.rawValue), meaning: kinds.map(\.meaning).joined(separator: "; "),
                            commands: commands))
        }
        // `exec` passes on its command's status; these are the ones it gives itself.
        // 124 only where the command takes a --timeout (`mcp proxy` has none).
        let passing = table.commands.filter { $0.passesOnChildStatus }
        for status in ExecStatus.documented {
            let label = status.status == ExecStatus.signalBase ? "\(status.status)+N" : String(status.status)
            let commands = passing.filter { status.status != ExecStatus.timedOut || $0.declares(Exec.timeout) }
            rows.append(Row(code: status.status, label: label, names: [status.name], meaning: status.meaning, commands: commands.map(\.name)))
        }
        self.rows = rows
    }

    public var text: String {
        let width = rows.map(\.label.count).max() ?? 3
        return "Exit codes (scripts branch on them):\n" + rows.map { row in
            let c = row.label
            let name = row.names.joined(separator: ", ")
            return "  " + String(repeating: " ", count: width - c.count) + c + "  " + name + String(repeating: " ", count: max(1, 28 - name.count))
                + row.meaning
        }.joined(separator: "\n") + "\n"
    }

    public var json: JSONValue {
        .object([("exit_codes", .array(rows.map { row in
            .object([("code", .int(Int(row.code))), ("label", .string(row.label)), ("names", .array(row.names.map(JSONValue.string))),
                     ("meaning", .string(row.meaning)),
                     ("commands", .array(row.commands.map(JSONValue.string)))])
        }))])
    }

    /// The Markdown table in docs/EXIT-CODES.md between its generated markers.
    public var markdown: String {
        "| code | name | meaning | commands |\n|---:|---|---|---|\n" + rows.map { row in
            let commands = row.code <= 3 ? "every command" : row.commands.map { "`\($0)`" }.joined(separator: ", ")
            return "| \(row.label) | \(row.names.map { "`\($0)`" }.joined(separator: ", ")) | \(row.meaning) | \(commands) |"
        }.joined(separator: "\n") + "\n"
    }
}

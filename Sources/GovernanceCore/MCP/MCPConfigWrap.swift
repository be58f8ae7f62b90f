import Glibc

/// `governance mcp wrap`: rewrites an MCP client configuration (the `mcpServers` object of
/// Claude Desktop and Cursor, or the `servers` object of VS Code's mcp.json) so that every stdio
/// server runs through `governance mcp proxy`. Every other member is kept as it was.
public enum MCPConfigWrap {
    /// The largest configuration read.
    public static let maxBytes = 1 << 20

    public enum Status: String, Sendable {
        /// Rewritten to run through the proxy.
        case wrapped
        /// Already runs through `governance mcp proxy`: unchanged.
        case alreadyGoverned = "already_governed"
        /// Not a stdio server (a URL, no command): the proxy cannot stand in front of it.
        case notStdio = "not_stdio"
    }

    public struct Server: Sendable, Equatable {
        public var name: String
        public var status: Status
    }

    public struct Plan: Sendable {
        public var original: String
        public var rewritten: String
        public var servers: [Server]
        public var changed: Bool { servers.contains { $0.status == .wrapped } }
    }

    /// What the configuration becomes. `governance` is the command the client will start (an
    /// absolute path: clients do not start it with the user's shell PATH).
    public static func plan(_ bytes: [UInt8], agentID: String, governance: String) throws(GovernanceError) -> Plan {
        try Identifier.check(agentID, field: "agent")
        let config: JSONValue
        do {
            config = try JSONParser.parse(bytes: bytes)
        } catch {
            throw .invalid("the configuration is not strict JSON (\(error.message))", hint: "remove comments and trailing commas; wrap reads JSON only")
        }
        guard let members = config.objectMembers else { throw .invalid("the configuration is not a JSON object") }
        guard let key = ["mcpServers", "servers"].first(where: { config[$0] != nil }) else {
            throw .invalid("the configuration has no \"mcpServers\" (or \"servers\") object")
        }
        guard let servers = config[key]?.objectMembers else { throw .invalid("\"\(key)\" is not an object") }
        var report: [Server] = []
        var rewritten: [(String, JSONValue)] = []
        for (name, server) in servers {
            guard let entry = server.objectMembers, case .string(let command)? = server["command"], server["url"] == nil else {
                report.append(Server(name: name, status: .notStdio))
                rewritten.append((name, server))
                continue
            }
            let args = server["args"]?.arrayValue ?? []
            guard args.allSatisfy({ $0.stringValue != nil }) else { throw .invalid("the \"args\" of server \(quoted(name)) are not all strings") }
            if args.prefix(2) == [.string("mcp"), .string("proxy")] {
                report.append(Server(name: name, status: .alreadyGoverned))
                rewritten.append((name, server))
                continue
            }
            let proxied: [JSONValue] = ["mcp", "proxy", "--agent", agentID, "--", command].map(JSONValue.string) + args
            var replaced: [(String, JSONValue)] = []
            for (field, value) in entry {
                switch field {
                case "command": replaced.append((field, .string(governance)))
                case "args": replaced.append((field, .array(proxied)))
                default: replaced.append((field, value))
                }
            }
            if server["args"] == nil {
                let at = (replaced.firstIndex { $0.0 == "command" } ?? replaced.count - 1) + 1
                replaced.insert(("args", .array(proxied)), at: at)
            }
            report.append(Server(name: name, status: .wrapped))
            rewritten.append((name, .object(replaced)))
        }
        let document = JSONValue.object(members.map { $0.0 == key ? (key, .object(rewritten)) : $0 })
        return Plan(original: String(decoding: bytes, as: UTF8.self), rewritten: pretty(document) + "\n", servers: report)
    }

    /// Writes the plan over `path`, the original kept beside it (`PATH.bak`, or `PATH.bak.N` when
    /// that exists) with the same permissions (a configuration may hold credentials); the new
    /// file replaces the old one in one rename. Returns the backup's path.
    public static func write(_ plan: Plan, to path: String) throws(GovernanceError) -> String {
        let mode = (FileSystem.permissions(path) ?? 0o600) & 0o777
        var backup = path + ".bak"
        var n = 1
        while FileSystem.exists(backup) {
            backup = path + ".bak.\(n)"
            n += 1
        }
        guard try FileSystem.createExclusive(backup, contents: plan.original, mode: mode) else {
            throw .invalid("cannot keep a backup at \(backup): it appeared meanwhile")
        }
        let temporary = path + ".governance-\(getpid()).tmp"
        unlink(temporary)
        guard try FileSystem.createExclusive(temporary, contents: plan.rewritten, mode: mode) else {
            throw .invalid("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .invalid("cannot replace \(path): \(reason)")
        }
        return backup
    }

    /// The absolute path of the running program (what a client should start).
    public static func thisExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Two-space indented JSON, members in their order (a file people read and edit).
    public static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let members) where !members.isEmpty:
            let lines = members.map { key, member in
                var out = inner
                JSONWriter.writeString(key, into: &out)
                return out + ": " + pretty(member, indent: inner)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return JSONWriter.ordered(value)
        }
    }

    /// A line diff (`-` removed, `+` added, ` ` kept), by the longest common subsequence: a
    /// configuration is small.
    public static func diff(_ old: String, _ new: String) -> [String] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Past this the table would cost more than showing the whole file replaced.
        guard a.count * b.count <= 4_000_000 else { return a.map { "-" + $0 } + b.map { "+" + $0 } }
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var lines: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                lines.append(" " + a[i]); i += 1; j += 1
            } else if j < b.count, i == a.count || lengths[i][j + 1] >= lengths[i + 1][j] {
                lines.append("+" + b[j]); j += 1
            } else {
                lines.append("-" + a[i]); i += 1
            }
        }
        while lines.last == " " { lines.removeLast() }
        return lines
    }
}

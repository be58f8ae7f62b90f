import GovernanceCore

/// The global flags, accepted anywhere on the command line.
public enum GlobalFlags {
    public static let databaseURL: Flag<String> = .text("database-url", value: "URL", "The store: postgres://..., sqlite:PATH or a path",
        doc: "Where events are kept. postgres:// and postgresql:// URLs use PostgreSQL through libpq (PG* variables, sslmode and service files work as usual); sqlite:PATH or a plain path uses SQLite. Without it, GOVERNANCE_DATABASE_URL, then the embedded store at $GOVERNANCE_HOME/governance.db.",
        environment: .databaseURL, environmentResolvedByCore: true)
    public static let auditSecretFile: Flag<String> = .path("audit-secret-file", "File holding the audit secret",
        doc: "Read the audit secret from PATH (one trailing newline is dropped). Otherwise GOVERNANCE_AUDIT_SECRET, then GOVERNANCE_AUDIT_SECRET_FILE, then (embedded store only) $GOVERNANCE_HOME/audit.secret, created on first use with mode 0600.",
        environment: .auditSecretFile, environmentResolvedByCore: true)
    public static let json: Flag<Bool> = .toggle("json", "Write one JSON document (JSON lines for streams) to stdout",
        doc: "Field names are snake_case and stable; errors go to stderr as {\"error\":{...}}.")
    public static let quiet: Flag<Bool> = .toggle("quiet", short: "q", "Print nothing on success (errors still go to stderr)")
    public static let verbose: Flag<Bool> = .toggle("verbose", short: "v", "Explain what is happening on stderr")
    public static let failOpen: Flag<Bool> = .toggle("fail-open", "Enforcement commands allow (with a warning) when the store is unreachable",
        doc: "Without it an enforcement command (scope check, cost check, loop record, ...) fails closed with exit 4 when the store cannot be reached. With it the command exits 0 with a warning on stderr and \"fail_open\": true in its JSON, having checked nothing. A kill switch, a policy or a budget cannot be read from a store that cannot be reached: use it only where an unavailable store must not stop the agent.")
    public static let all: [FlagSpec] = [databaseURL.spec, auditSecretFile.spec, json.spec, quiet.spec, verbose.spec, failOpen.spec]
}

/// `--format`, declared only by a command that writes a document format besides text and json
/// (`compliance report`): help, man pages and completions list it there and nowhere else, and
/// any other command refuses it as an unknown flag. Every command takes `--json`.
public enum DocumentFormat {
    public static let flag: Flag<String> = .choice("format", ["text", "json", "markdown", "html"], "Output format",
        doc: "text (the default), json (the same as --json), markdown, or html (one self-contained page).")
}

/// The one table of commands (git's `commands[]`): every group, and in it every command. Adding
/// a group is one folder under Commands/ and one line here; help, man pages, completions and the
/// documented tables follow from it (`make generate`), and the consistency tests fail when
/// something is missing.
public struct CommandTable: Sendable {
    public let groups: [GroupSpec]
    /// Every command, in table order.
    public let commands: [CommandSpec]

    public init(groups: [GroupSpec]) {
        self.groups = groups
        commands = groups.flatMap(\.commands)
    }

    /// Every group, each built only when it is needed: a run builds the one group its command is
    /// in (building all of them, flags and closures, was a tenth of a short command's own work).
    public static let groupLoaders: [(name: String?, load: @Sendable () -> GroupSpec)] = [
        (nil, { TopLevel.group }),
        ("db", { DB.group }),
        ("secret", { Secret.group }),
        ("session", { Session.group }),
        ("audit", { Audit.group }),
        ("policy", { Policy.group }),
        ("scope", { Scope.group }),
        ("cost", { Cost.group }),
        ("loop", { Loop.group }),
        ("presence", { PresenceCommands.group }),
        ("gates", { GatesCommands.group }),
        ("compliance", { Compliance.group }),
        ("contract", { Contract.group }),
        ("operator", { Operator.group }),
        ("mcp", { MCP.group }),
    ]

    public static let standard = CommandTable(groups: groupLoaders.map { $0.load() })

    /// The table a command line needs: the named group alone when the first command word names
    /// one, else every group (top-level commands, help, suggestions for a typo).
    public static func forArguments(_ arguments: [String]) -> CommandTable {
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--" { break }
            if argument.hasPrefix("-") {
                // A global flag's value is not a command word.
                if argument.hasPrefix("--"), !argument.contains("="),
                   GlobalFlags.all.contains(where: { $0.takesValue && "--" + $0.name == argument }) { skipNext = true }
                continue
            }
            if let loader = groupLoaders.first(where: { $0.name == argument }) { return CommandTable(groups: [loader.load()]) }
            // A top-level command needs only its own group, unless it documents the whole table.
            let topLevel = TopLevel.group
            if let command = topLevel.commands.first(where: { $0.path == [argument] }), command.role != .meta {
                return CommandTable(groups: [topLevel])
            }
            break
        }
        return standard
    }

    public func command(_ path: [String]) -> CommandSpec? { commands.first { $0.path == path } }

    public func isGroup(_ path: [String]) -> Bool {
        path.count == 1 && groups.contains { $0.name == path[0] }
    }

    /// The next words possible after `path`, in table order.
    public func children(of path: [String]) -> [String] {
        var seen: [String] = []
        for c in commands where c.path.count > path.count && Array(c.path.prefix(path.count)) == path {
            let word = c.path[path.count]
            if !seen.contains(word) { seen.append(word) }
        }
        return seen
    }

    public func group(_ name: String) -> GroupSpec? { groups.first { $0.name == name } }

    /// The groups that have a name (one man page each).
    public var namedGroups: [GroupSpec] { groups.filter { $0.name != nil } }

    /// Commands under `path` (all of them for an empty path).
    public func commands(under path: [String]) -> [CommandSpec] {
        commands.filter { $0.path.count >= path.count && Array($0.path.prefix(path.count)) == path }
    }

    /// Every `help` topic and man page a shell can complete: groups, then `group command` pairs.
    public var helpTopics: [String] {
        children(of: []) + ["exit-codes"]
    }
}

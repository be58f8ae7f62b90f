import GovernanceCore

/// The global flags, accepted anywhere on the command line.
public enum GlobalFlags {
    public static let databaseURL = FlagSpec("database-url", value: "URL", "The store: postgres://..., sqlite:PATH or a path",
        doc: "Where events are kept. postgres:// and postgresql:// URLs use PostgreSQL through libpq (PG* variables, sslmode and service files work as usual); sqlite:PATH or a plain path uses SQLite. Without it, GOVERNANCE_DATABASE_URL, then the embedded store at $GOVERNANCE_HOME/governance.db.",
        environment: "GOVERNANCE_DATABASE_URL")
    public static let auditSecretFile = FlagSpec("audit-secret-file", value: "PATH", "File holding the audit secret",
        doc: "Read the audit secret from PATH (one trailing newline is dropped). Otherwise GOVERNANCE_AUDIT_SECRET, then GOVERNANCE_AUDIT_SECRET_FILE, then (embedded store only) $GOVERNANCE_HOME/audit.secret, created on first use with mode 0600.",
        completion: .file, environment: "GOVERNANCE_AUDIT_SECRET_FILE")
    public static let json = FlagSpec("json", "Write one JSON document (JSON lines for streams) to stdout",
        doc: "Same as --format json. Field names are snake_case and stable; errors go to stderr as {\"error\":{...}}.")
    public static let format = FlagSpec("format", value: "FORMAT", "Output format", choices: ["text", "json"])
    public static let quiet = FlagSpec("quiet", short: "q", "Print nothing on success (errors still go to stderr)")
    public static let verbose = FlagSpec("verbose", short: "v", "Explain what is happening on stderr")
    // --fail-open joins these with the first enforcement command; no command here enforces.
    public static let all = [databaseURL, auditSecretFile, json, format, quiet, verbose]
}

/// The one table of commands (git's `commands[]`): dispatch is a lookup in it.
public struct CommandTable: Sendable {
    public let groups: [GroupSpec]
    public let commands: [CommandSpec]

    public static let standard = CommandTable(groups: Groups.all, commands: SetupCommands.all + AuditCommands.all + MetaCommands.all)

    public func command(_ path: [String]) -> CommandSpec? { commands.first { $0.path == path } }

    public func isGroup(_ path: [String]) -> Bool {
        commands.contains { $0.path.count > path.count && Array($0.path.prefix(path.count)) == path }
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

    /// Commands under `path` (all of them for an empty path).
    public func commands(under path: [String]) -> [CommandSpec] {
        commands.filter { $0.path.count >= path.count && Array($0.path.prefix(path.count)) == path }
    }
}

public enum Groups {
    public static let all = [
        GroupSpec(name: "db", summary: "Create, migrate and inspect the store",
                  doc: "The store is SQLite (embedded default) or PostgreSQL (shared). Its schema is versioned; `db migrate` applies what is missing and is safe to run again."),
        GroupSpec(name: "secret", summary: "Make audit secrets",
                  doc: "The audit secret keys the HMAC chain. Keep it out of argv and logs: give it as a file (GOVERNANCE_AUDIT_SECRET_FILE) or an environment variable."),
        GroupSpec(name: "session", summary: "Make session ids",
                  doc: "A session is one agent run; each session has its own audit chain. Ids are UUIDs."),
        GroupSpec(name: "audit", summary: "Write, read and verify the tamper-evident audit trail",
                  doc: "Every event is a link in its session's HMAC chain (docs/CHAIN.md). Changing, removing, duplicating or moving any stored row makes `audit verify` exit 20 and name the first bad seq."),
    ]
}

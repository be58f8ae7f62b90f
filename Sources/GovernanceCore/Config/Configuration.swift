/// Where the store is and where the secret comes from, resolved from flags and the environment.
/// The CLI passes its flags in; the core never reads argv.
public struct Configuration: Sendable {
    public enum StoreLocation: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    public var store: StoreLocation
    /// True when no URL was given and the embedded store under `home` is used.
    public var usesEmbeddedDefault: Bool
    /// `$GOVERNANCE_HOME`: the embedded store, the generated secret, the spool.
    public var home: String
    /// `--audit-secret-file`: wins over every environment variable.
    public var secretFileFlag: String?

    /// Explicit values, for a Swift program that links the core.
    public init(store: StoreLocation, home: String, secretFile: String? = nil, usesEmbeddedDefault: Bool = false) {
        self.store = store
        self.home = home
        self.secretFileFlag = secretFile
        self.usesEmbeddedDefault = usesEmbeddedDefault
    }

    /// Resolution order for the store: `databaseURL` (the flag), `GOVERNANCE_DATABASE_URL`, then
    /// `$GOVERNANCE_HOME/governance.db`.
    public static func resolve(databaseURL: String? = nil, secretFile: String? = nil,
                               environment: (String) -> String? = FileSystem.environment) throws(GovernanceError) -> Configuration {
        let home = resolveHome(environment: environment)
        if let url = databaseURL ?? environment("GOVERNANCE_DATABASE_URL") {
            return Configuration(store: try parseStoreURL(url), home: home, secretFile: secretFile)
        }
        return Configuration(store: .sqlite(path: home + "/governance.db"), home: home, secretFile: secretFile, usesEmbeddedDefault: true)
    }

    /// `GOVERNANCE_HOME`, else `${XDG_STATE_HOME:-$HOME/.local/state}/governance`.
    public static func resolveHome(environment: (String) -> String? = FileSystem.environment) -> String {
        if let home = environment("GOVERNANCE_HOME") { return home }
        if let state = environment("XDG_STATE_HOME") { return state + "/governance" }
        return (environment("HOME") ?? "/tmp") + "/.local/state/governance"
    }

    /// `postgres://` and `postgresql://` select PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or a
    /// plain path select SQLite.
    public static func parseStoreURL(_ url: String) throws(GovernanceError) -> StoreLocation {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return .postgres(url: url)
        }
        var path = url
        if path.hasPrefix("sqlite://") {
            path.removeFirst("sqlite://".count)
        } else if path.hasPrefix("sqlite:") {
            path.removeFirst("sqlite:".count)
        } else if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/"), path[..<colon].count > 1 {
            throw .config("unsupported database URL scheme \"\(path[..<colon])\"",
                          hint: "use postgres://..., postgresql://..., sqlite:PATH or a file path")
        }
        guard !path.isEmpty else {
            throw .config("the SQLite database URL has no path", hint: "use sqlite:/path/to/governance.db")
        }
        return .sqlite(path: path)
    }

    /// The URL with any password removed, safe for messages and `db status`.
    public var redactedStoreDescription: String {
        switch store {
        case .sqlite(let path): return "sqlite:" + path
        case .postgres(let url): return Self.redactPassword(url)
        }
    }

    static func redactPassword(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let at = rest.firstIndex(of: "@") else { return url }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<schemeEnd.upperBound]) + userInfo[..<colon] + ":***" + rest[at...]
    }

    /// Finds the secret: `--audit-secret-file`, `GOVERNANCE_AUDIT_SECRET`,
    /// `GOVERNANCE_AUDIT_SECRET_FILE`, then (embedded default only) `$GOVERNANCE_HOME/audit.secret`,
    /// created with mode 0600 when missing. `created` reports that a new file was written.
    public func loadSecret(environment: (String) -> String? = FileSystem.environment,
                           createIfMissing: Bool = true) throws(GovernanceError) -> (secret: AuditSecret, created: String?) {
        if let file = secretFileFlag {
            return (try AuditSecret.load(file: file), nil)
        }
        if let value = environment("GOVERNANCE_AUDIT_SECRET") {
            return (try AuditSecret(value: value, source: "GOVERNANCE_AUDIT_SECRET"), nil)
        }
        if let file = environment("GOVERNANCE_AUDIT_SECRET_FILE") {
            return (try AuditSecret.load(file: file), nil)
        }
        // A local SQLite store keeps its generated secret in the home; a shared store must be told.
        guard usesEmbeddedDefault || isLocalSQLite else {
            throw .config("no audit secret is configured for the shared store",
                          hint: "set GOVERNANCE_AUDIT_SECRET_FILE to a file holding the output of `governance secret generate` (the same secret on every host)")
        }
        let path = home + "/audit.secret"
        if FileSystem.exists(path) {
            return (try AuditSecret.load(file: path), nil)
        }
        guard createIfMissing else {
            throw .config("no audit secret at \(path)", hint: "run `governance init` to create one")
        }
        try FileSystem.makeDirectories(home)
        let created = try FileSystem.createExclusive(path, contents: try AuditSecret.generate() + "\n", mode: 0o600)
        return (try AuditSecret.load(file: path), created ? path : nil)
    }

    private var isLocalSQLite: Bool {
        if case .sqlite = store { return true }
        return false
    }
}

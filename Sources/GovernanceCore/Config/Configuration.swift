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
        try checkHome(home)
        if let url = databaseURL ?? environment(EnvironmentVariable.databaseURL.name) {
            return Configuration(store: try parseStoreURL(url), home: home, secretFile: secretFile)
        }
        return Configuration(store: .sqlite(path: home + "/governance.db"), home: home, secretFile: secretFile, usesEmbeddedDefault: true)
    }

    /// `GOVERNANCE_HOME`, else `${XDG_STATE_HOME:-$HOME/.local/state}/governance`.
    public static func resolveHome(environment: (String) -> String? = FileSystem.environment) -> String {
        if let home = environment(EnvironmentVariable.home.name) { return home }
        if let state = environment(EnvironmentVariable.xdgStateHome.name) { return state + "/governance" }
        return (environment("HOME") ?? "/tmp") + "/.local/state/governance"
    }

    /// Refuses a home that other users can write: they could put their own audit secret, store
    /// or spool files in it before (or beside) ours. The mode bits are checked rather than
    /// access(2), which root passes whatever the bits say. A missing home is created 0700 later.
    static func checkHome(_ home: String) throws(GovernanceError) {
        guard let status = FileSystem.status(home), status.isDirectory, status.permissions & 0o022 != 0 else { return }
        let who = status.permissions & 0o002 != 0 ? "every user" : "its group"
        throw .config("GOVERNANCE_HOME \(home) can be written by \(who) (mode \(AuditSecret.octal(status.permissions))): another user could plant an audit secret, a store or spooled events there",
                      hint: "run `chmod go-w \(FileSystem.shellQuoted(home))`, or set GOVERNANCE_HOME to a folder only you can write")
    }

    /// `postgres://` and `postgresql://` URLs and libpq key=value strings (`host=... dbname=...`)
    /// select PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or a plain path select SQLite.
    public static func parseStoreURL(_ url: String) throws(GovernanceError) -> StoreLocation {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") || Conninfo.looksLikeConninfo(url) {
            return .postgres(url: url)
        }
        var path = url
        if path.hasPrefix("sqlite://") {
            path.removeFirst("sqlite://".count)
        } else if path.hasPrefix("sqlite:") {
            path.removeFirst("sqlite:".count)
        } else if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/"), path[..<colon].count > 1 {
            throw .config("unsupported database URL scheme \(quoted(String(path[..<colon]), limit: 64))",
                          hint: "use postgres://..., postgresql://..., sqlite:PATH or a file path")
        }
        guard !path.isEmpty else {
            throw .config("the SQLite database URL has no path", hint: "use sqlite:/path/to/governance.db")
        }
        return .sqlite(path: path)
    }

    /// The URL with every password removed, safe for messages, `db status` and the spool.
    public var redactedStoreDescription: String {
        switch store {
        case .sqlite(let path): return "sqlite:" + path
        case .postgres(let url): return Self.redactPassword(url)
        }
    }

    /// A PostgreSQL URL or key=value string with every password form (`user:PASSWORD@`,
    /// `?password=`, `&sslpassword=`, `password='...'`) replaced by `***`.
    public static func redactPassword(_ url: String) -> String {
        if Conninfo.looksLikeConninfo(url) { return Conninfo.redacted(url) }
        guard let parts = PostgresURL(url) else { return url }
        return parts.text(redacting: true)
    }

    /// `text` (an error from libpq, say) with `url` and each of its passwords masked wherever
    /// they appear: libpq may echo part of what it was given.
    public static func redact(_ text: String, url: String) -> String {
        var out = text.replacing(url, with: redactPassword(url))
        // Longest first, so a password that contains another is masked whole.
        for secret in passwords(in: url).sorted(by: { $0.utf8.count > $1.utf8.count }) where secret.utf8.count >= 3 {
            out = out.replacing(secret, with: "***")
        }
        return out
    }

    /// Every password the URL carries, as written and percent-decoded.
    static func passwords(in url: String) -> [String] {
        var found: [String] = []
        if Conninfo.looksLikeConninfo(url) {
            found = Conninfo.pairs(url).filter { Conninfo.isPassword($0.key) }.map(\.value)
        } else if let parts = PostgresURL(url) {
            if let p = parts.password { found += [p, PostgresURL.percentDecoded(p)] }
            for (key, value) in parts.query where Conninfo.isPassword(PostgresURL.percentDecoded(key)) {
                found += [value, PostgresURL.percentDecoded(value)]
            }
        }
        return found.filter { !$0.isEmpty }
    }

    /// What the store is, without credentials: the spool keys its folders by this, so a rotated
    /// password still finds the events spooled for the same database. Scheme spelling, the
    /// password and the sslpassword are left out; user, hosts, port, database and every other
    /// parameter (a search_path in `options` is another store) stay.
    public static func storeIdentity(_ store: StoreLocation) -> String {
        switch store {
        case .sqlite(let path):
            return "sqlite:" + path
        case .postgres(let url):
            if Conninfo.looksLikeConninfo(url) {
                let pairs = Conninfo.pairs(url).filter { !Conninfo.isPassword($0.key) }
                return "postgresql-conninfo:" + pairs.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
                    .map { $0.element.key + "=" + $0.element.value }.joined(separator: "\u{0}")
            }
            guard var parts = PostgresURL(url) else { return url }
            parts.scheme = "postgresql"
            parts.password = nil
            parts.query = parts.query.filter { !Conninfo.isPassword(PostgresURL.percentDecoded($0.key)) }
                .enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
            return parts.text(redacting: false)
        }
    }

    /// Finds the secret: `--audit-secret-file`, `GOVERNANCE_AUDIT_SECRET`,
    /// `GOVERNANCE_AUDIT_SECRET_FILE`, then (embedded default only) `$GOVERNANCE_HOME/audit.secret`,
    /// created with mode 0600 when missing. `created` reports that a new file was written.
    public func loadSecret(environment: (String) -> String? = FileSystem.environment,
                           createIfMissing: Bool = true) throws(GovernanceError) -> (secret: AuditSecret, created: String?) {
        if let file = secretFileFlag {
            return (try AuditSecret.load(file: file), nil)
        }
        if let value = environment(EnvironmentVariable.auditSecret.name) {
            return (try AuditSecret(value: value, source: EnvironmentVariable.auditSecret.name), nil)
        }
        if let file = environment(EnvironmentVariable.auditSecretFile.name) {
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
        // A new secret would make every event already signed with the lost one look tampered,
        // and sign new events with a key the old ones do not share: only an empty store gets one.
        for store in storesSignedWithHomeSecret where try Self.sqliteStoreHoldsEvents(store) {
            throw .config("the audit secret \(path) is missing, but the store \(store) holds events signed with it; no new secret was generated",
                          hint: "restore \(path) from a backup (or name the secret with GOVERNANCE_AUDIT_SECRET_FILE); a new secret cannot verify the stored chain")
        }
        guard createIfMissing else {
            throw .config("no audit secret at \(path)", hint: "run `governance init` to create one")
        }
        try FileSystem.makeDirectories(home)
        let created = try FileSystem.createExclusive(path, contents: try AuditSecret.generate() + "\n", mode: 0o600)
        return (try AuditSecret.load(file: path), created ? path : nil)
    }

    /// The SQLite stores that use `$GOVERNANCE_HOME/audit.secret`: the configured one and the
    /// embedded default beside the secret.
    private var storesSignedWithHomeSecret: [String] {
        var stores = [home + "/governance.db"]
        if case .sqlite(let path) = store, path != stores[0] { stores.insert(path, at: 0) }
        return stores
    }

    /// Whether the SQLite store at `path` holds an audit event; false when there is no file.
    /// Opened without create and without migrating, so looking changes nothing.
    static func sqliteStoreHoldsEvents(_ path: String) throws(GovernanceError) -> Bool {
        guard FileSystem.exists(path) else { return false }
        do {
            let db = try SQLiteConnection(path: path, mode: .readWrite)
            guard try db.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'governance_audit_events'") != nil else {
                return false
            }
            return try db.queryFirst("SELECT 1 FROM governance_audit_events LIMIT 1") != nil
        } catch {
            let reason = (error as? GovernanceError)?.message ?? "\(error)"
            throw .config("the audit secret is missing and the store \(path) cannot be read to tell whether it holds events (\(reason)); no new secret was generated",
                          hint: "restore the audit secret, or move the store aside if it is not needed")
        }
    }

    private var isLocalSQLite: Bool {
        if case .sqlite = store { return true }
        return false
    }
}

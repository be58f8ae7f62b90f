/// What a command means to do with the store. A reader never creates anything: a typo in
/// `--database-url` must fail, not verify an empty file it just made.
public enum StoreAccess: Sendable {
    /// verify, events, trace, export, tail, db status: an existing store at the latest schema
    /// (SQLite opened without create, nothing migrated).
    case read
    /// init, audit log, flush, db migrate: the embedded store and its home are created
    /// (owner-only) and SQLite migrates itself.
    case write
}

/// An open store: a connection of the configured kind, at the latest schema.
public final class Store {
    public let connection: SQLConnection
    public let location: Configuration.StoreLocation
    /// The SQLite file opened (device and inode), so a follower can tell that another file
    /// has taken its name; nil for PostgreSQL.
    public let file: FileSystem.Status?

    /// What to do when the schema is behind.
    public enum MigrationPolicy: Sendable {
        /// Apply pending migrations (the embedded store does this on first use).
        case automatic
        /// Fail with a hint to run `governance db migrate` (the shared store, where an operator
        /// decides when the schema changes; and every reader).
        case require
        /// Open as is (`db status`, `db migrate`).
        case asIs
    }

    public init(location: Configuration.StoreLocation, migration: MigrationPolicy, access: StoreAccess = .write) throws {
        self.location = location
        switch location {
        case .sqlite(let path):
            if access == .read {
                guard let status = FileSystem.status(path) else {
                    throw GovernanceError.config("there is no store at \(path): nothing has been written there",
                                                 hint: "check --database-url or GOVERNANCE_DATABASE_URL for a typo; to start a new store there, run `governance init`")
                }
                connection = try SQLiteConnection(path: path, mode: .readWrite)
                file = status
            } else {
                connection = try SQLiteConnection(path: path, mode: .create)
                file = FileSystem.status(path)
            }
        case .postgres(let url):
            connection = try PostgresConnection(url: url)
            file = nil
        }
        // A reader never changes the schema: behind is reported, not fixed.
        let policy = access == .read && migration == .automatic ? .require : migration
        switch policy {
        case .asIs: break
        case .automatic:
            if try Migrations.currentVersion(connection) < Migrations.latestVersion {
                try Migrations.migrate(connection)
            }
        case .require:
            let version = try Migrations.currentVersion(connection)
            if version < Migrations.latestVersion {
                throw GovernanceError.config(
                    "the store is at schema version \(version); this governance needs \(Migrations.latestVersion)",
                    hint: "run `governance db migrate` (or `governance init`) against this database")
            }
        }
    }

    /// Opens the configured store. Writers create the embedded store's home; by default SQLite
    /// migrates itself for writers and PostgreSQL must have been migrated. Readers create and
    /// migrate nothing.
    public static func open(_ configuration: Configuration, access: StoreAccess = .write, migration: MigrationPolicy? = nil) throws -> Store {
        if configuration.usesEmbeddedDefault && access == .write {
            try FileSystem.makeDirectories(configuration.home)
        }
        let policy: MigrationPolicy
        switch configuration.store {
        case .sqlite: policy = migration ?? .automatic
        case .postgres: policy = migration ?? .require
        }
        return try Store(location: configuration.store, migration: policy, access: access)
    }

    /// True when the SQLite file this store opened no longer has its name: removed, or another
    /// file (a restored backup) moved into its place.
    public var fileWasReplaced: Bool {
        guard let file, case .sqlite(let path) = location else { return false }
        guard let now = FileSystem.status(path) else { return true }
        return now.device != file.device || now.inode != file.inode
    }
}

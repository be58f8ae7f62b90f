/// An open store: a connection of the configured kind, at the latest schema.
public final class Store {
    public let connection: SQLConnection
    public let location: Configuration.StoreLocation

    /// What to do when the schema is behind.
    public enum MigrationPolicy: Sendable {
        /// Apply pending migrations (the embedded store does this on first use).
        case automatic
        /// Fail with a hint to run `governance db migrate` (the shared store, where an operator
        /// decides when the schema changes).
        case require
        /// Open as is (`db status`, `db migrate`).
        case asIs
    }

    public init(location: Configuration.StoreLocation, migration: MigrationPolicy) throws {
        self.location = location
        switch location {
        case .sqlite(let path):
            connection = try SQLiteConnection(path: path)
        case .postgres(let url):
            connection = try PostgresConnection(url: url)
        }
        switch migration {
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

    /// Opens the configured store (creating the embedded store's home). By default SQLite
    /// migrates itself and PostgreSQL must have been migrated.
    public static func open(_ configuration: Configuration, migration: MigrationPolicy? = nil) throws -> Store {
        if configuration.usesEmbeddedDefault {
            try FileSystem.makeDirectories(configuration.home)
        }
        let policy: MigrationPolicy
        switch configuration.store {
        case .sqlite: policy = migration ?? .automatic
        case .postgres: policy = migration ?? .require
        }
        return try Store(location: configuration.store, migration: policy)
    }
}

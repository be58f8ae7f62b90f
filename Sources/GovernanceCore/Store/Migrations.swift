/// One step of the versioned schema, declared by the domain that owns the tables it creates.
/// Versions are global and increasing across domains, so every store applies them in one order.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// Written once for both dialects (`{id}`, `{bigint}`: see `SQLConnection.schemaSQL`).
    let sql: String
    /// Run after `sql` on PostgreSQL only: what the server itself enforces (triggers, row policies).
    let postgresOnly: String

    init(version: Int, name: String, sql: String, postgresOnly: String = "") {
        self.version = version
        self.name = name
        self.sql = sql
        self.postgresOnly = postgresOnly
    }
}

/// A part of the product that owns tables: its name, its tables and its migrations, all in its
/// own folder (Audit/AuditSchema.swift, ...).
public struct SchemaDomain: Sendable {
    public let name: String
    public let tables: [String]
    public let migrations: [Migration]
}

/// Every domain's schema. A new domain adds one line here.
public enum SchemaRegistry {
    public static let domains: [SchemaDomain] = [
        AuditSchema.domain,
        PolicySchema.domain,
        CostSchema.domain,
        LoopSchema.domain,
        EnforcementSchema.domain,
        PresenceSchema.domain,
        GateSchema.domain,
        OperatorSchema.domain,
        RolesSchema.domain,
    ]
}

/// Applies the registry's migrations. Each is applied once, in version order, inside one write
/// transaction under a lock, so two processes migrating at once do not race.
public enum Migrations {
    public static let all: [Migration] = SchemaRegistry.domains.flatMap(\.migrations).sorted { $0.version < $1.version }

    public static var latestVersion: Int { all.last?.version ?? 0 }

    static let bookkeeping = """
    CREATE TABLE IF NOT EXISTS governance_schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
    )
    """

    /// The schema version the store is at: 0 when it has never been migrated.
    public static func currentVersion(_ db: SQLConnection) throws -> Int {
        guard try db.tableExists("governance_schema_migrations") else { return 0 }
        return Int(try db.queryFirst("SELECT COALESCE(MAX(version), 0) FROM governance_schema_migrations")?.int(0) ?? 0)
    }

    /// Applies what is missing; returns the migrations applied (empty on a second run).
    @discardableResult
    public static func migrate(_ db: SQLConnection, upTo target: Int = latestVersion) throws -> [Migration] {
        try db.writeTransaction {
            // Serialises concurrent migrations on PostgreSQL; SQLite's write lock already does.
            try db.lockChain("governance/schema-migrations")
            try db.executeScript(bookkeeping)
            let current = try currentVersion(db)
            if current > latestVersion {
                throw GovernanceError.config("the store is at schema version \(current), newer than this governance (\(latestVersion))",
                                             hint: "upgrade governance to a version that knows this schema")
            }
            let pending = all.filter { $0.version > current && $0.version <= target }
            for migration in pending {
                if !migration.sql.isEmpty { try db.executeScript(db.schemaSQL(migration.sql)) }
                if db.dialect == .postgres && !migration.postgresOnly.isEmpty { try db.executeScript(migration.postgresOnly) }
                try db.execute("INSERT INTO governance_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                               [.int(Int64(migration.version)), .text(migration.name), .text(Timestamp.now().iso8601)])
            }
            // New tables get the privileges of the roles `db roles` configured.
            if !pending.isEmpty { try DatabaseRoles.reapplyInTransaction(db) }
            return pending
        }
    }
}

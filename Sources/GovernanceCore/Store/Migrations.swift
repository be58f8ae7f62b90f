/// The versioned schema. Each migration is applied once, in order, inside one write transaction
/// under a lock, so two processes migrating at once do not race.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    let sql: String

    init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SQLite's rowid is its cheapest key; PostgreSQL needs a sequence.
    func sql(for dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: sql.replacing("{id}", with: "INTEGER PRIMARY KEY").replacing("{bigint}", with: "INTEGER")
        case .postgres: sql.replacing("{id}", with: "BIGSERIAL PRIMARY KEY").replacing("{bigint}", with: "BIGINT")
        }
    }
}

public enum Migrations {
    /// Each migration's SQL is written once; `{id}` and `{bigint}` become each dialect's types.
    public static let all: [Migration] = [
        Migration(version: 1, name: "audit chain", sql: """
            CREATE TABLE governance_audit_events (
                id {id},
                session_id TEXT NOT NULL,
                seq {bigint} NOT NULL,
                agent_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                model TEXT,
                input_hash TEXT,
                output_hash TEXT,
                metadata TEXT NOT NULL,
                created_at_us {bigint} NOT NULL,
                prev_hash TEXT NOT NULL,
                hmac TEXT NOT NULL
            );
            CREATE UNIQUE INDEX governance_audit_events_session_seq ON governance_audit_events (session_id, seq);
            CREATE INDEX governance_audit_events_agent ON governance_audit_events (agent_id, created_at_us);
            CREATE INDEX governance_audit_events_created ON governance_audit_events (created_at_us);
            CREATE TABLE governance_audit_sessions (
                session_id TEXT PRIMARY KEY,
                last_seq {bigint} NOT NULL,
                last_hmac TEXT NOT NULL,
                first_at_us {bigint} NOT NULL,
                last_at_us {bigint} NOT NULL
            );
            """),
        Migration(version: 2, name: "spool replay markers", sql: """
            CREATE TABLE governance_audit_spooled (
                spool_id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL,
                spooled_at_us {bigint} NOT NULL,
                flushed_at_us {bigint} NOT NULL
            );
            """),
        // One row per append transaction: its idempotency key, written in the same transaction,
        // so replaying an append whose COMMIT reply was lost does not add its events twice.
        Migration(version: 3, name: "append idempotency keys", sql: """
            CREATE TABLE governance_audit_appends (
                append_id TEXT PRIMARY KEY,
                committed_at_us {bigint} NOT NULL
            );
            """),
    ]

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
        let exists: Bool
        switch db.dialect {
        case .sqlite:
            exists = try db.queryFirst("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'governance_schema_migrations'") != nil
        case .postgres:
            exists = try db.queryFirst("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'governance_schema_migrations'") != nil
        }
        guard exists else { return 0 }
        return Int(try db.queryFirst("SELECT COALESCE(MAX(version), 0) FROM governance_schema_migrations")?.int(0) ?? 0)
    }

    /// Applies what is missing; returns the migrations applied (empty on a second run).
    @discardableResult
    public static func migrate(_ db: SQLConnection, upTo target: Int = latestVersion) throws -> [Migration] {
        try db.writeTransaction {
            if db.dialect == .postgres {
                try db.lockChain("governance/schema-migrations")
            }
            try db.executeScript(bookkeeping)
            let current = try currentVersion(db)
            if current > latestVersion {
                throw GovernanceError.config("the store is at schema version \(current), newer than this governance (\(latestVersion))",
                                             hint: "upgrade governance to a version that knows this schema")
            }
            let pending = all.filter { $0.version > current && $0.version <= target }
            for migration in pending {
                try db.executeScript(migration.sql(for: db.dialect))
                try db.execute("INSERT INTO governance_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                               [.int(Int64(migration.version)), .text(migration.name), .text(Timestamp.now().iso8601)])
            }
            return pending
        }
    }
}

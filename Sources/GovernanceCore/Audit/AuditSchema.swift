/// The audit chain's tables.
enum AuditSchema {
    static let domain = SchemaDomain(
        name: "audit",
        tables: ["governance_audit_events", "governance_audit_sessions", "governance_audit_spooled", "governance_audit_appends"],
        migrations: [
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
        ])
}

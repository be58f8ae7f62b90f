/// Approval requests. The token itself is never stored: only its SHA-256.
enum GateSchema {
    static let domain = SchemaDomain(
        name: "gates",
        tables: ["governance_gate_requests"],
        migrations: [
            Migration(version: 9, name: "approval gates", sql: """
                CREATE TABLE governance_gate_requests (
                    request_id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    session_id TEXT,
                    payload TEXT NOT NULL,
                    action_hash TEXT NOT NULL,
                    token_hash TEXT NOT NULL,
                    agent_operator TEXT,
                    created_at_us {bigint} NOT NULL,
                    expires_at_us {bigint} NOT NULL,
                    status TEXT NOT NULL,
                    decided_by TEXT,
                    decided_os_user TEXT,
                    decided_host TEXT,
                    decided_at_us {bigint},
                    reason TEXT
                );
                CREATE INDEX governance_gate_requests_status ON governance_gate_requests (status, created_at_us);
                """),
            // A granted approval that a contract's hitl_approved used: set once, by a conditional UPDATE.
            Migration(version: 10, name: "approvals consumed by contracts", sql: """
                ALTER TABLE governance_gate_requests ADD COLUMN consumed_at_us {bigint};
                """),
        ])
}

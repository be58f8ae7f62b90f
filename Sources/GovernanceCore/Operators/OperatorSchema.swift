/// Operators (one Ed25519 public key each) and the signatures that operator actions carry in the
/// rows they change: a kill marker, a policy, a gate decision.
enum OperatorSchema {
    static let domain = SchemaDomain(
        name: "operators",
        tables: ["governance_operators"],
        migrations: [
            Migration(version: 12, name: "operators and signed operator actions", sql: """
                CREATE TABLE governance_operators (
                    name TEXT PRIMARY KEY,
                    public_key TEXT NOT NULL UNIQUE,
                    added_at_us {bigint} NOT NULL,
                    added_by TEXT,
                    document TEXT,
                    signature TEXT,
                    removed_at_us {bigint}
                );
                ALTER TABLE governance_kill_markers ADD COLUMN document TEXT;
                ALTER TABLE governance_kill_markers ADD COLUMN signature TEXT;
                ALTER TABLE governance_policies ADD COLUMN document TEXT;
                ALTER TABLE governance_policies ADD COLUMN signature TEXT;
                ALTER TABLE governance_gate_requests ADD COLUMN decision_document TEXT;
                ALTER TABLE governance_gate_requests ADD COLUMN decision_signature TEXT;
                ALTER TABLE governance_gate_requests ADD COLUMN requested_os_user TEXT;
                ALTER TABLE governance_gate_requests ADD COLUMN requested_host TEXT;
                ALTER TABLE governance_gate_requests ADD COLUMN step_digest TEXT;
                """),
        ])
}

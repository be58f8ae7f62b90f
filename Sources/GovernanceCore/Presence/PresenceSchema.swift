/// Presence rows (one per agent that has reported itself) and, until the enforcement branch
/// lands, the kill-marker table.
enum PresenceSchema {
    static let domain = SchemaDomain(
        name: "presence",
        // TEMPORARY until the enforcement branch lands: the lead removes governance_kill_markers here.
        tables: ["governance_presence", "governance_kill_markers"],
        migrations: [
            Migration(version: 20, name: "presence", sql: """
                CREATE TABLE governance_presence (
                    agent_id TEXT PRIMARY KEY,
                    operator TEXT,
                    status TEXT NOT NULL,
                    last_seen_us {bigint} NOT NULL,
                    status_changed_us {bigint} NOT NULL,
                    metadata TEXT NOT NULL
                );
                CREATE INDEX governance_presence_stale ON governance_presence (status, last_seen_us);
                """),
            // TEMPORARY until the enforcement branch lands: the lead removes this (the enforcement
            // domain creates the same table with the same columns).
            Migration(version: 21, name: "kill markers (temporary, operators branch)", sql: """
                CREATE TABLE governance_kill_markers (
                    agent_id TEXT PRIMARY KEY,
                    killed_by TEXT NOT NULL,
                    killed_at_us {bigint} NOT NULL,
                    reason TEXT NOT NULL,
                    host TEXT NOT NULL,
                    os_user TEXT NOT NULL
                );
                """),
        ])
}

/// Presence rows (one per agent that has reported itself) and, until the enforcement branch
/// lands, the kill-marker table.
enum PresenceSchema {
    static let domain = SchemaDomain(
        name: "presence",
        tables: ["governance_presence"],
        migrations: [
            Migration(version: 8, name: "presence", sql: """
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
        ])
}

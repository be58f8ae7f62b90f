/// The policy tables: one row per agent, its canonical JSON and that text's SHA-256.
public enum PolicySchema {
    public static let migrations: [Migration] = [
        Migration(version: 4, name: "agent policies", sql: """
            CREATE TABLE governance_policies (
                agent_id TEXT PRIMARY KEY,
                policy TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                source TEXT NOT NULL,
                applied_at_us {bigint} NOT NULL
            );
            """),
    ]
}

extension PolicySchema {
    static let domain = SchemaDomain(name: "policy", tables: ["governance_policies"], migrations: migrations)
}

/// Kill markers: an operator's stop for an agent, checked by every enforcement command (the
/// operators issue writes them; the table and the check exist already).
public enum EnforcementSchema {
    public static let migrations: [Migration] = [
        Migration(version: 7, name: "kill markers", sql: """
            CREATE TABLE governance_kill_markers (
                agent_id TEXT PRIMARY KEY,
                killed_by TEXT NOT NULL,
                killed_at_us {bigint} NOT NULL,
                reason TEXT NOT NULL,
                host TEXT NOT NULL,
                os_user TEXT NOT NULL
            );
            """),
    ]
}

extension EnforcementSchema {
    static let domain = SchemaDomain(name: "enforcement", tables: ["governance_kill_markers"], migrations: migrations)
}

/// Recent calls per agent, session and lower-cased tool, pruned to the loop window as they come.
public enum LoopSchema {
    public static let migrations: [Migration] = [
        Migration(version: 6, name: "loop call windows", sql: """
            CREATE TABLE governance_loop_calls (
                id {id},
                agent_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                tool TEXT NOT NULL,
                called_at_us {bigint} NOT NULL
            );
            CREATE INDEX governance_loop_calls_key ON governance_loop_calls (agent_id, session_id, tool, called_at_us);
            """),
    ]
}

extension LoopSchema {
    static let domain = SchemaDomain(name: "loop", tables: ["governance_loop_calls"], migrations: migrations)
}

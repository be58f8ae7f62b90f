/// Spend counters: monotonic `INSERT ... ON CONFLICT DO UPDATE` rows per agent session, per agent
/// and UTC day, and per agent and model. Amounts are integer nano-dollars. Reservations hold what a
/// passing `cost check` projected until the call's spend settles them or they expire.
public enum CostSchema {
    public static let migrations: [Migration] = [
        Migration(version: 5, name: "cost counters", sql: """
            CREATE TABLE governance_cost_sessions (
                agent_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                usd_nanos {bigint} NOT NULL,
                tokens {bigint} NOT NULL,
                started_at_us {bigint} NOT NULL,
                updated_at_us {bigint} NOT NULL,
                PRIMARY KEY (agent_id, session_id)
            );
            CREATE TABLE governance_cost_daily (
                agent_id TEXT NOT NULL,
                day TEXT NOT NULL,
                usd_nanos {bigint} NOT NULL,
                tokens {bigint} NOT NULL,
                PRIMARY KEY (agent_id, day)
            );
            CREATE TABLE governance_cost_models (
                agent_id TEXT NOT NULL,
                model TEXT NOT NULL,
                calls {bigint} NOT NULL,
                usd_nanos {bigint} NOT NULL,
                input_tokens {bigint} NOT NULL,
                output_tokens {bigint} NOT NULL,
                cached_input_tokens {bigint} NOT NULL,
                unpriced_calls {bigint} NOT NULL,
                PRIMARY KEY (agent_id, model)
            );
            """),
        Migration(version: 11, name: "cost reservations and unpriced calls", sql: """
            CREATE TABLE governance_cost_reservations (
                reservation_id TEXT PRIMARY KEY,
                agent_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                day TEXT NOT NULL,
                tokens {bigint} NOT NULL,
                usd_nanos {bigint} NOT NULL,
                model TEXT,
                created_at_us {bigint} NOT NULL,
                expires_at_us {bigint} NOT NULL
            );
            CREATE INDEX governance_cost_reservations_agent ON governance_cost_reservations (agent_id, expires_at_us);
            ALTER TABLE governance_cost_sessions ADD COLUMN unpriced_calls {bigint} NOT NULL DEFAULT 0;
            ALTER TABLE governance_cost_daily ADD COLUMN unpriced_calls {bigint} NOT NULL DEFAULT 0;
            """),
    ]
}

extension CostSchema {
    static let domain = SchemaDomain(name: "cost", tables: ["governance_cost_sessions", "governance_cost_daily", "governance_cost_models", "governance_cost_reservations"], migrations: migrations)
}

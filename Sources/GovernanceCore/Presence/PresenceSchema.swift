/// Presence rows: one per agent that has reported itself.
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
            Migration(version: 14, name: "presence state without an event", sql: "", postgresOnly: seenFunction),
        ])

    /// A report that changes nothing the chain records (`Presence.stateOnly`) moves the row through
    /// this function: the only change to presence that the agent role may make (`db roles` grants
    /// EXECUTE to the agent and operator roles; PUBLIC has none). It moves last seen (never past the
    /// server's clock) and a heartbeat's metadata, of a row already in that status, bound to that
    /// operator when one is named; status, operator and status time stay as the chain left them.
    static let seenFunction = """
        CREATE FUNCTION governance_presence_seen(p_agent TEXT, p_status TEXT, p_operator TEXT, p_metadata TEXT, p_at_us BIGINT)
        RETURNS BOOLEAN LANGUAGE plpgsql SECURITY DEFINER AS $fn$
        DECLARE v_at BIGINT := LEAST(p_at_us, \(RolesSchema.serverNow));
        BEGIN
            IF p_status NOT IN ('live', 'idle') OR (p_metadata IS NOT NULL AND (p_status <> 'live' OR length(p_metadata) > 65536
               OR json_typeof(p_metadata::JSON) IS DISTINCT FROM 'object')) THEN
                RAISE EXCEPTION 'not a presence report' USING ERRCODE = '22023';
            END IF;
            UPDATE governance_presence SET last_seen_us = v_at, metadata = COALESCE(p_metadata, metadata), db_user = session_user
            WHERE agent_id = p_agent AND status = p_status AND last_seen_us <= v_at AND (p_operator IS NULL OR operator = p_operator);
            RETURN FOUND;
        END
        $fn$;
        REVOKE ALL ON FUNCTION governance_presence_seen(TEXT, TEXT, TEXT, TEXT, BIGINT) FROM PUBLIC;
        DO $pin$ BEGIN
            EXECUTE format('ALTER FUNCTION governance_presence_seen(TEXT, TEXT, TEXT, TEXT, BIGINT) SET search_path = %I, pg_temp', current_schema());
        END $pin$;
        """
}

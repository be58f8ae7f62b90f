/// What the PostgreSQL server enforces by itself, whichever role connects (docs/SECURITY.md, "The
/// agent versus the operator"):
/// - the derived tables (chain heads, spend counters, presence) follow the chain inside the
///   server: one statement trigger on the audit table, a SECURITY DEFINER function owned by the
///   schema's owner, applies what `ChainEffects` and the head table do on SQLite, so a role that
///   may only append never needs to write them;
/// - a gate request is stored pending and undecided, and a consumed approval stays consumed;
/// - rows that operators write, and every audit row, record the server-side `session_user`;
/// - spend and reservations are never negative; a role's deletes of reservations and loop calls
///   can be limited to rows that no longer count (`db roles` adds the limits for the agent role).
/// `governance_roles` remembers the roles `db roles` configured, so `db migrate` grants new tables.
enum RolesSchema {
    static let domain = SchemaDomain(name: "roles", tables: ["governance_roles"], migrations: [migration])

    /// Columns the server fills with `session_user`; no role is granted to write them.
    static let stampedColumns: Set<String> = ["db_user", "requested_db_user", "decided_db_user"]

    /// Microseconds since the epoch by the server's clock.
    static let serverNow = "(extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT"

    static let migration = Migration(version: 13, name: "server-enforced roles and derived state", sql: """
        CREATE TABLE governance_roles (
            purpose TEXT PRIMARY KEY,
            role_name TEXT NOT NULL,
            configured_at_us {bigint} NOT NULL,
            db_user TEXT
        );
        ALTER TABLE governance_audit_events ADD COLUMN db_user TEXT;
        ALTER TABLE governance_kill_markers ADD COLUMN db_user TEXT;
        ALTER TABLE governance_policies ADD COLUMN db_user TEXT;
        ALTER TABLE governance_operators ADD COLUMN db_user TEXT;
        ALTER TABLE governance_presence ADD COLUMN db_user TEXT;
        ALTER TABLE governance_gate_requests ADD COLUMN requested_db_user TEXT;
        ALTER TABLE governance_gate_requests ADD COLUMN decided_db_user TEXT;
        """, postgresOnly: postgres)

    private static let presenceKinds = [EventKind.presenceHeartbeat, EventKind.presenceIdle, EventKind.presenceClose]
        .map { "'\($0)'" }.joined(separator: ", ")

    static let postgres = """
        -- Existing rows keep NULL: who wrote them is not known.
        ALTER TABLE governance_audit_events ALTER COLUMN db_user SET DEFAULT session_user;
        ALTER TABLE governance_cost_sessions ADD CONSTRAINT governance_cost_sessions_not_negative
            CHECK (usd_nanos >= 0 AND tokens >= 0 AND unpriced_calls >= 0) NOT VALID;
        ALTER TABLE governance_cost_daily ADD CONSTRAINT governance_cost_daily_not_negative
            CHECK (usd_nanos >= 0 AND tokens >= 0 AND unpriced_calls >= 0) NOT VALID;
        ALTER TABLE governance_cost_reservations ADD CONSTRAINT governance_cost_reservations_not_negative
            CHECK (usd_nanos >= 0 AND tokens >= 0) NOT VALID;

        CREATE FUNCTION governance_stamp_db_user() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            NEW.db_user := session_user;
            RETURN NEW;
        END
        $fn$;
        CREATE TRIGGER governance_kill_markers_db_user BEFORE INSERT OR UPDATE ON governance_kill_markers
            FOR EACH ROW EXECUTE FUNCTION governance_stamp_db_user();
        CREATE TRIGGER governance_policies_db_user BEFORE INSERT OR UPDATE ON governance_policies
            FOR EACH ROW EXECUTE FUNCTION governance_stamp_db_user();
        CREATE TRIGGER governance_operators_db_user BEFORE INSERT OR UPDATE ON governance_operators
            FOR EACH ROW EXECUTE FUNCTION governance_stamp_db_user();

        CREATE FUNCTION governance_gate_request_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.status <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_at_us IS NOT NULL
                   OR NEW.decision_document IS NOT NULL OR NEW.decision_signature IS NOT NULL OR NEW.consumed_at_us IS NOT NULL THEN
                    RAISE EXCEPTION 'a gate request is stored pending and undecided' USING ERRCODE = '42501';
                END IF;
                NEW.requested_db_user := session_user;
                NEW.decided_db_user := NULL;
            ELSE
                IF OLD.consumed_at_us IS NOT NULL AND NEW.consumed_at_us IS DISTINCT FROM OLD.consumed_at_us THEN
                    RAISE EXCEPTION 'a consumed approval stays consumed' USING ERRCODE = '42501';
                END IF;
                NEW.requested_db_user := OLD.requested_db_user;
                IF NEW.status IS DISTINCT FROM OLD.status OR NEW.decided_by IS DISTINCT FROM OLD.decided_by
                   OR NEW.decision_signature IS DISTINCT FROM OLD.decision_signature THEN
                    NEW.decided_db_user := session_user;
                ELSE
                    NEW.decided_db_user := OLD.decided_db_user;
                END IF;
            END IF;
            RETURN NEW;
        END
        $fn$;
        CREATE TRIGGER governance_gate_requests_guard BEFORE INSERT OR UPDATE ON governance_gate_requests
            FOR EACH ROW EXECUTE FUNCTION governance_gate_request_guard();

        -- A count in an event's spend, as CostLedger.usage(in:) reads it: not a number is 0.
        CREATE FUNCTION governance_spend_count(cost JSON, kind TEXT, field TEXT) RETURNS BIGINT LANGUAGE plpgsql IMMUTABLE AS $fn$
        DECLARE n NUMERIC;
        BEGIN
            IF json_typeof(cost -> field) IS DISTINCT FROM 'number' THEN RETURN 0; END IF;
            n := (cost ->> field)::NUMERIC;
            IF n < 0 OR n > 9007199254740991 OR n <> trunc(n) THEN
                RAISE EXCEPTION 'the spend in a % event has an invalid %', kind, field USING ERRCODE = '22023';
            END IF;
            RETURN n::BIGINT;
        END
        $fn$;

        -- The chain's effects, as ChainEffects and AuditLog.recordHeads apply them on SQLite.
        CREATE FUNCTION governance_chain_effects() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $fn$
        DECLARE
            v_now BIGINT := \(serverNow);
            r RECORD;
            v_fields JSON;
            v_cost JSON;
            v_usd_text TEXT;
            v_usd BIGINT;
            v_tokens BIGINT;
            v_input BIGINT;
            v_output BIGINT;
            v_cached BIGINT;
            v_priced BOOLEAN;
            v_unpriced BIGINT;
            v_reservation TEXT;
            v_day TEXT;
            v_changed BIGINT;
        BEGIN
            INSERT INTO governance_audit_sessions AS s (session_id, last_seq, last_hmac, first_at_us, last_at_us)
            SELECT DISTINCT ON (a.session_id) a.session_id, a.seq, a.hmac, v_now, v_now FROM appended a ORDER BY a.session_id, a.seq DESC
            ON CONFLICT (session_id) DO UPDATE SET last_seq = excluded.last_seq, last_hmac = excluded.last_hmac, last_at_us = excluded.last_at_us;

            FOR r IN SELECT a.agent_id, a.session_id, a.kind, a.model, a.metadata, a.created_at_us FROM appended a
                     WHERE a.kind IN (\(presenceKinds)) OR strpos(a.metadata, '"\(CostLedger.metadataKey)"') > 0
                     ORDER BY a.id LOOP
                v_fields := r.metadata::JSON;
                IF json_typeof(v_fields) = 'object' AND v_fields -> '\(CostLedger.metadataKey)' IS NOT NULL THEN
                    v_cost := v_fields -> '\(CostLedger.metadataKey)';
                    v_usd_text := CASE WHEN json_typeof(v_cost) = 'object' AND json_typeof(v_cost -> 'usd') = 'string' THEN v_cost ->> 'usd' END;
                    IF v_usd_text IS NULL OR v_usd_text !~ '^[0-9]+([.][0-9]{1,9})?$' OR v_usd_text::NUMERIC * 1000000000 > 9223372036854775807 THEN
                        RAISE EXCEPTION 'the spend in a % event has an invalid usd', r.kind USING ERRCODE = '22023';
                    END IF;
                    v_usd := (v_usd_text::NUMERIC * 1000000000)::BIGINT;
                    v_tokens := governance_spend_count(v_cost, r.kind, 'tokens');
                    v_input := 0; v_output := 0; v_cached := 0; v_priced := TRUE;
                    IF r.model IS NOT NULL THEN
                        v_input := governance_spend_count(v_cost, r.kind, 'input_tokens');
                        v_output := governance_spend_count(v_cost, r.kind, 'output_tokens');
                        v_cached := governance_spend_count(v_cost, r.kind, 'cached_input_tokens');
                        IF json_typeof(v_cost -> 'priced') = 'boolean' THEN v_priced := (v_cost ->> 'priced')::BOOLEAN; END IF;
                    END IF;
                    v_reservation := NULL;
                    IF v_cost -> 'reservation_id' IS NOT NULL THEN
                        IF json_typeof(v_cost -> 'reservation_id') IS DISTINCT FROM 'string'
                           OR v_cost ->> 'reservation_id' !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
                            RAISE EXCEPTION 'the spend in a % event has an invalid reservation_id', r.kind USING ERRCODE = '22023';
                        END IF;
                        v_reservation := lower(v_cost ->> 'reservation_id');
                    END IF;
                    v_unpriced := CASE WHEN r.model IS NOT NULL AND NOT v_priced THEN 1 ELSE 0 END;
                    v_day := to_char(TIMESTAMP '1970-01-01' + r.created_at_us * INTERVAL '1 microsecond', 'YYYY-MM-DD');

                    INSERT INTO governance_cost_sessions AS c (agent_id, session_id, usd_nanos, tokens, started_at_us, updated_at_us, unpriced_calls)
                    VALUES (r.agent_id, r.session_id, v_usd, v_tokens, r.created_at_us, r.created_at_us, v_unpriced)
                    ON CONFLICT (agent_id, session_id) DO UPDATE SET
                        usd_nanos = c.usd_nanos + excluded.usd_nanos, tokens = c.tokens + excluded.tokens,
                        updated_at_us = excluded.updated_at_us, unpriced_calls = c.unpriced_calls + excluded.unpriced_calls
                    WHERE c.usd_nanos <= 9223372036854775807 - excluded.usd_nanos AND c.tokens <= 9223372036854775807 - excluded.tokens
                      AND c.unpriced_calls < 9223372036854775807;
                    GET DIAGNOSTICS v_changed = ROW_COUNT;
                    IF v_changed <> 1 THEN RAISE EXCEPTION 'the counters would overflow; nothing was added' USING ERRCODE = '22003'; END IF;

                    INSERT INTO governance_cost_daily AS d (agent_id, day, usd_nanos, tokens, unpriced_calls)
                    VALUES (r.agent_id, v_day, v_usd, v_tokens, v_unpriced)
                    ON CONFLICT (agent_id, day) DO UPDATE SET
                        usd_nanos = d.usd_nanos + excluded.usd_nanos, tokens = d.tokens + excluded.tokens,
                        unpriced_calls = d.unpriced_calls + excluded.unpriced_calls
                    WHERE d.usd_nanos <= 9223372036854775807 - excluded.usd_nanos AND d.tokens <= 9223372036854775807 - excluded.tokens
                      AND d.unpriced_calls < 9223372036854775807;
                    GET DIAGNOSTICS v_changed = ROW_COUNT;
                    IF v_changed <> 1 THEN RAISE EXCEPTION 'the counters would overflow; nothing was added' USING ERRCODE = '22003'; END IF;

                    IF v_reservation IS NOT NULL THEN
                        DELETE FROM governance_cost_reservations WHERE reservation_id = v_reservation AND agent_id = r.agent_id;
                    END IF;

                    IF r.model IS NOT NULL THEN
                        INSERT INTO governance_cost_models AS m (agent_id, model, calls, usd_nanos, input_tokens, output_tokens, cached_input_tokens, unpriced_calls)
                        VALUES (r.agent_id, r.model, 1, v_usd, v_input, v_output, v_cached, CASE WHEN v_priced THEN 0 ELSE 1 END)
                        ON CONFLICT (agent_id, model) DO UPDATE SET
                            calls = m.calls + 1, usd_nanos = m.usd_nanos + excluded.usd_nanos,
                            input_tokens = m.input_tokens + excluded.input_tokens, output_tokens = m.output_tokens + excluded.output_tokens,
                            cached_input_tokens = m.cached_input_tokens + excluded.cached_input_tokens,
                            unpriced_calls = m.unpriced_calls + excluded.unpriced_calls
                        WHERE m.calls < 9223372036854775807 AND m.usd_nanos <= 9223372036854775807 - excluded.usd_nanos
                          AND m.input_tokens <= 9223372036854775807 - excluded.input_tokens
                          AND m.output_tokens <= 9223372036854775807 - excluded.output_tokens
                          AND m.cached_input_tokens <= 9223372036854775807 - excluded.cached_input_tokens;
                        GET DIAGNOSTICS v_changed = ROW_COUNT;
                        IF v_changed <> 1 THEN RAISE EXCEPTION 'the counters would overflow; nothing was added' USING ERRCODE = '22003'; END IF;
                    END IF;
                END IF;

                IF r.kind = '\(EventKind.presenceHeartbeat)' THEN
                    INSERT INTO governance_presence AS p (agent_id, operator, status, last_seen_us, status_changed_us, metadata, db_user)
                    VALUES (r.agent_id, CASE WHEN json_typeof(v_fields -> 'operator') = 'string' THEN v_fields ->> 'operator' END, 'live',
                            r.created_at_us, r.created_at_us,
                            COALESCE(CASE WHEN json_typeof(v_fields) = 'object' THEN (v_fields -> 'metadata')::TEXT END, '{}'), session_user)
                    ON CONFLICT (agent_id) DO UPDATE SET operator = COALESCE(excluded.operator, p.operator), status = 'live',
                        last_seen_us = excluded.last_seen_us,
                        status_changed_us = CASE WHEN p.status = 'live' THEN p.status_changed_us ELSE excluded.status_changed_us END,
                        metadata = excluded.metadata, db_user = excluded.db_user
                    WHERE p.last_seen_us <= excluded.last_seen_us;
                ELSIF r.kind = '\(EventKind.presenceIdle)' THEN
                    INSERT INTO governance_presence AS p (agent_id, operator, status, last_seen_us, status_changed_us, metadata, db_user)
                    VALUES (r.agent_id, NULL, 'idle', r.created_at_us, r.created_at_us, '{}', session_user)
                    ON CONFLICT (agent_id) DO UPDATE SET status = 'idle', last_seen_us = excluded.last_seen_us,
                        status_changed_us = excluded.status_changed_us, db_user = excluded.db_user
                    WHERE p.last_seen_us <= excluded.last_seen_us;
                ELSIF r.kind = '\(EventKind.presenceClose)' THEN
                    DELETE FROM governance_presence WHERE agent_id = r.agent_id AND last_seen_us <= r.created_at_us;
                END IF;
            END LOOP;
            RETURN NULL;
        END
        $fn$;
        CREATE TRIGGER governance_audit_events_effects AFTER INSERT ON governance_audit_events
            REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION governance_chain_effects();
        -- A SECURITY DEFINER function must not resolve names through a path its caller controls.
        DO $pin$ BEGIN
            EXECUTE format('ALTER FUNCTION governance_chain_effects() SET search_path = %I, pg_temp', current_schema());
        END $pin$;

        -- Row policies: everyone sees and changes every row, as before, until `db roles` adds the
        -- agent role's limits (restrictive policies, which narrow this one).
        ALTER TABLE governance_cost_reservations ENABLE ROW LEVEL SECURITY;
        CREATE POLICY governance_everyone ON governance_cost_reservations USING (true) WITH CHECK (true);
        ALTER TABLE governance_loop_calls ENABLE ROW LEVEL SECURITY;
        CREATE POLICY governance_everyone ON governance_loop_calls USING (true) WITH CHECK (true);
        """
}

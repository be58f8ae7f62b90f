/// Spend counters and the budget check. Counters only grow, by `INSERT ... ON CONFLICT DO UPDATE`
/// (exact under any number of concurrent writers), and refuse to overflow instead of wrapping or
/// turning into floating point. Sessions are counted per agent: `(agent, session)`.
public struct CostLedger {
    public let db: SQLConnection

    public init(db: SQLConnection) { self.db = db }

    /// One call's spend. `model` and the token split are kept for `breakdown`.
    public struct Usage: Sendable, Equatable {
        public var tokens: Int64
        public var usd: Money
        public var model: String?
        public var inputTokens: Int64
        public var outputTokens: Int64
        public var cachedInputTokens: Int64
        /// False for a model the pricing table does not know (it cost zero).
        public var priced: Bool
        /// The reservation of the `cost check` this spend settles (`Reservation.id`), if any.
        public var reservationID: String?

        /// `cost track`: a total of tokens and USD.
        public init(tokens: Int64, usd: Money) {
            self.tokens = tokens
            self.usd = usd
            self.model = nil
            self.inputTokens = 0
            self.outputTokens = 0
            self.cachedInputTokens = 0
            self.priced = true
        }

        /// `cost track-usage`: priced from `pricing`; an unknown model costs zero and is unpriced.
        public init(model: String, inputTokens: Int64, outputTokens: Int64, cachedInputTokens: Int64 = 0,
                    pricing: PricingTable) throws(GovernanceError) {
            let (usd, price) = try pricing.cost(model: model, inputTokens: inputTokens, outputTokens: outputTokens,
                                                cachedInputTokens: cachedInputTokens)
            let (t1, o1) = inputTokens.addingReportingOverflow(outputTokens)
            let (tokens, o2) = t1.addingReportingOverflow(cachedInputTokens)
            guard !o1, !o2 else { throw .invalid("the token count overflows") }
            self.tokens = tokens
            self.usd = usd
            self.model = model
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.cachedInputTokens = cachedInputTokens
            self.priced = price != nil
        }

        /// The audit metadata of a tracked call (`cost.tracked` or `llm.call`).
        public var metadata: [(String, JSONValue)] {
            var m: [(String, JSONValue)] = [("tokens", .int64(tokens)), ("usd", .string(usd.decimal))]
            if model != nil {
                m += [("input_tokens", .int64(inputTokens)), ("output_tokens", .int64(outputTokens)),
                      ("cached_input_tokens", .int64(cachedInputTokens)), ("priced", .bool(priced))]
            }
            if let reservationID { m.append(("reservation_id", .string(reservationID))) }
            return m
        }
    }

    static let maxCounter = Int64.max

    /// Adds one call to the session, the agent's UTC day and (with a model) the model's row, in
    /// one write transaction. Negative amounts are exit 2; a counter that would overflow is exit 2
    /// and nothing is added.
    public func track(agentID: String, sessionID: SessionID, usage: Usage, at time: Timestamp = .now()) throws {
        try db.writeTransaction { try trackInTransaction(agentID: agentID, sessionID: sessionID, usage: usage, at: time) }
    }

    /// The same inside the caller's write transaction (so a caller may append its audit event in
    /// the same transaction: counted and audited exactly once). Spend that names a reservation
    /// settles it in the same transaction, so a budget snapshot sees the reservation or the spend,
    /// never both and never neither.
    public func trackInTransaction(agentID: String, sessionID: SessionID, usage: Usage, at time: Timestamp) throws {
        try Identifier.check(agentID, field: "agent")
        guard usage.tokens >= 0, usage.usd.nanos >= 0, usage.inputTokens >= 0, usage.outputTokens >= 0, usage.cachedInputTokens >= 0 else {
            throw GovernanceError.invalid("tokens and USD must be 0 or more")
        }
        let now = time.microseconds
        let overflow = GovernanceError.invalid("the counters would overflow; nothing was added",
                                               hint: "the amounts are beyond what a counter holds (\(Money(nanos: .max)) USD or \(Int64.max) tokens)")
        let unpriced: Int64 = usage.model != nil && !usage.priced ? 1 : 0
        let changed = try db.execute("""
            INSERT INTO governance_cost_sessions (agent_id, session_id, usd_nanos, tokens, started_at_us, updated_at_us, unpriced_calls)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (agent_id, session_id) DO UPDATE SET
                usd_nanos = governance_cost_sessions.usd_nanos + excluded.usd_nanos,
                tokens = governance_cost_sessions.tokens + excluded.tokens,
                updated_at_us = excluded.updated_at_us,
                unpriced_calls = governance_cost_sessions.unpriced_calls + excluded.unpriced_calls
            WHERE governance_cost_sessions.usd_nanos <= \(Self.maxCounter) - excluded.usd_nanos
              AND governance_cost_sessions.tokens <= \(Self.maxCounter) - excluded.tokens
              AND governance_cost_sessions.unpriced_calls < \(Self.maxCounter)
            """, [.text(agentID), .text(sessionID.value), .int(usage.usd.nanos), .int(usage.tokens), .int(now), .int(now), .int(unpriced)])
        guard changed == 1 else { throw overflow }
        let dailyChanged = try db.execute("""
            INSERT INTO governance_cost_daily (agent_id, day, usd_nanos, tokens, unpriced_calls) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (agent_id, day) DO UPDATE SET
                usd_nanos = governance_cost_daily.usd_nanos + excluded.usd_nanos,
                tokens = governance_cost_daily.tokens + excluded.tokens,
                unpriced_calls = governance_cost_daily.unpriced_calls + excluded.unpriced_calls
            WHERE governance_cost_daily.usd_nanos <= \(Self.maxCounter) - excluded.usd_nanos
              AND governance_cost_daily.tokens <= \(Self.maxCounter) - excluded.tokens
              AND governance_cost_daily.unpriced_calls < \(Self.maxCounter)
            """, [.text(agentID), .text(Self.day(time)), .int(usage.usd.nanos), .int(usage.tokens), .int(unpriced)])
        guard dailyChanged == 1 else { throw overflow }
        if let reservationID = usage.reservationID {
            try settleInTransaction(reservationID: reservationID, agentID: agentID)
        }
        guard let model = usage.model else { return }
        let modelChanged = try db.execute("""
            INSERT INTO governance_cost_models (agent_id, model, calls, usd_nanos, input_tokens, output_tokens, cached_input_tokens, unpriced_calls)
            VALUES (?, ?, 1, ?, ?, ?, ?, ?)
            ON CONFLICT (agent_id, model) DO UPDATE SET
                calls = governance_cost_models.calls + 1,
                usd_nanos = governance_cost_models.usd_nanos + excluded.usd_nanos,
                input_tokens = governance_cost_models.input_tokens + excluded.input_tokens,
                output_tokens = governance_cost_models.output_tokens + excluded.output_tokens,
                cached_input_tokens = governance_cost_models.cached_input_tokens + excluded.cached_input_tokens,
                unpriced_calls = governance_cost_models.unpriced_calls + excluded.unpriced_calls
            WHERE governance_cost_models.calls < \(Self.maxCounter)
              AND governance_cost_models.usd_nanos <= \(Self.maxCounter) - excluded.usd_nanos
              AND governance_cost_models.input_tokens <= \(Self.maxCounter) - excluded.input_tokens
              AND governance_cost_models.output_tokens <= \(Self.maxCounter) - excluded.output_tokens
              AND governance_cost_models.cached_input_tokens <= \(Self.maxCounter) - excluded.cached_input_tokens
            """, [.text(agentID), .text(model), .int(usage.usd.nanos), .int(usage.inputTokens), .int(usage.outputTokens),
                  .int(usage.cachedInputTokens), .int(usage.priced ? 0 : 1)])
        guard modelChanged == 1 else { throw overflow }
    }

    /// The agent's UTC day, `YYYY-MM-DD`.
    static func day(_ time: Timestamp) -> String { String(time.iso8601.prefix(10)) }

    /// The budget check without a reservation (contract `budget_available`): the same decision as
    /// `reserve`, which is what `cost check` runs; see there.
    public func check(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, projectedTokens: Int64? = nil,
                      at time: Timestamp = .now()) throws -> BudgetSnapshot {
        if let projectedTokens, projectedTokens < 1 {
            throw GovernanceError.invalid("projected tokens must be 1 or more (got \(projectedTokens))")
        }
        let projection = projectedTokens.map { CostProjection(tokens: $0) } ?? .none
        return try inWriteTransaction { try decide(agentID: agentID, sessionID: sessionID, budget: budget, projection: projection, at: time) }
    }

    /// Runs `body` in a write transaction, or in the caller's when one is open.
    func inWriteTransaction<T>(_ body: () throws -> T) throws -> T {
        db.inTransaction ? try body() : try db.writeTransaction(body)
    }

    /// Names the cap and the policy key an operator raises; a daily cap also resets at 00:00 UTC.
    /// (A new session is not offered: it would read as a way around a session cap.)
    static func raiseHint(cap: String, agentID: String) -> String {
        let raise = "an operator may raise agents.\(agentID).budget.\(cap) in its policy (`governance policy apply`)"
        return cap.hasSuffix("_daily") ? raise + "; the daily cap starts again at 00:00 UTC" : raise
    }

    /// Serialises the budget decisions and reservations of one agent across processes and hosts:
    /// an advisory transaction lock on PostgreSQL (so two hosts cannot both pass on the same
    /// spend); SQLite's `BEGIN IMMEDIATE` already holds the store's write lock.
    func lockAgent(_ agentID: String) throws {
        try db.lockChain("governance/cost-agent/" + agentID)
    }

    /// The decision, inside a write transaction. Starts the session clock if this is the session's
    /// first call, forgets the agent's expired reservations, then denies with `.budgetExceeded`
    /// (exit 12) naming the cap, what is used (spend plus live reservations) and the limit when:
    /// a cap is used up (used >= cap), the projection would take a cap past its limit (used +
    /// projected > cap), the session is older than `per_session_seconds`, or a USD cap cannot be
    /// kept because a model has no price (`unpriced: deny`, the default with a USD cap).
    func decide(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, projection: CostProjection,
                at time: Timestamp) throws -> BudgetSnapshot {
        try Identifier.check(agentID, field: "agent")
        try lockAgent(agentID)
        try db.execute("""
            INSERT INTO governance_cost_sessions (agent_id, session_id, usd_nanos, tokens, started_at_us, updated_at_us)
            VALUES (?, ?, 0, 0, ?, ?) ON CONFLICT (agent_id, session_id) DO NOTHING
            """, [.text(agentID), .text(sessionID.value), .int(time.microseconds), .int(time.microseconds)])
        try db.execute("DELETE FROM governance_cost_reservations WHERE agent_id = ? AND expires_at_us <= ?",
                       [.text(agentID), .int(time.microseconds)])
        let snapshot = try self.snapshot(agentID: agentID, sessionID: sessionID, budget: budget, at: time)
        try snapshot.judge(projection: projection, agentID: agentID)
        return snapshot
    }

    /// What is used and reserved, read only and in one statement (one snapshot of the store, so a
    /// spend that settles a reservation is seen either with it or without either). The session
    /// clock is not started by looking; expired reservations do not count.
    public func snapshot(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, at time: Timestamp = .now()) throws -> BudgetSnapshot {
        var snapshot = BudgetSnapshot(budget: budget)
        let agent = SQLValue.text(agentID), session = SQLValue.text(sessionID.value), day = SQLValue.text(Self.day(time)), now = SQLValue.int(time.microseconds)
        guard let row = try db.queryFirst("""
            SELECT s.usd_nanos, s.tokens, s.started_at_us, s.unpriced_calls, d.usd_nanos, d.tokens, d.unpriced_calls,
                (SELECT COALESCE(SUM(usd_nanos), 0) FROM governance_cost_reservations WHERE agent_id = ? AND session_id = ? AND expires_at_us > ?),
                (SELECT COALESCE(SUM(tokens), 0) FROM governance_cost_reservations WHERE agent_id = ? AND session_id = ? AND expires_at_us > ?),
                (SELECT COALESCE(SUM(usd_nanos), 0) FROM governance_cost_reservations WHERE agent_id = ? AND day = ? AND expires_at_us > ?),
                (SELECT COALESCE(SUM(tokens), 0) FROM governance_cost_reservations WHERE agent_id = ? AND day = ? AND expires_at_us > ?)
            FROM (SELECT 1 AS one) AS base
            LEFT JOIN governance_cost_sessions s ON s.agent_id = ? AND s.session_id = ?
            LEFT JOIN governance_cost_daily d ON d.agent_id = ? AND d.day = ?
            """, [agent, session, now, agent, session, now, agent, day, now, agent, day, now, agent, session, agent, day]) else {
            throw GovernanceError.internalError("the budget snapshot returned no row")
        }
        if let used = try row.optionalInt(0) {
            snapshot.sessionUSDUsed = Money(nanos: used)
            snapshot.sessionTokensUsed = try row.int(1)
            snapshot.sessionSecondsUsed = max(0, (time.microseconds - (try row.int(2))) / 1_000_000)
            snapshot.sessionUnpricedCalls = try row.int(3)
        }
        if let used = try row.optionalInt(4) {
            snapshot.agentDailyUSDUsed = Money(nanos: used)
            snapshot.agentDailyTokensUsed = try row.int(5)
            snapshot.agentDailyUnpricedCalls = try row.int(6)
        }
        snapshot.sessionUSDReserved = Money(nanos: try row.int(7))
        snapshot.sessionTokensReserved = try row.int(8)
        snapshot.agentDailyUSDReserved = Money(nanos: try row.int(9))
        snapshot.agentDailyTokensReserved = try row.int(10)
        return snapshot
    }

    /// Spend per model for the agent (all time), most expensive first.
    public func breakdown(agentID: String) throws -> [ModelUsage] {
        try db.query("""
            SELECT model, calls, usd_nanos, input_tokens, output_tokens, cached_input_tokens, unpriced_calls
            FROM governance_cost_models WHERE agent_id = ? ORDER BY usd_nanos DESC, model LIMIT 10000
            """, [.text(agentID)]).map { row in
            ModelUsage(model: try row.text(0), calls: try row.int(1), usd: Money(nanos: try row.int(2)), inputTokens: try row.int(3),
                       outputTokens: try row.int(4), cachedInputTokens: try row.int(5), unpricedCalls: try row.int(6))
        }
    }

    /// Models that were tracked without a price (`cost models --unpriced`).
    public func unpricedModels() throws -> [String] {
        try db.query("SELECT DISTINCT model FROM governance_cost_models WHERE unpriced_calls > 0 ORDER BY model LIMIT 10000").map { try $0.text(0) }
    }
}

/// One model's spend for an agent.
public struct ModelUsage: Sendable, Equatable {
    public var model: String
    public var calls: Int64
    public var usd: Money
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cachedInputTokens: Int64
    public var unpricedCalls: Int64

    public var tokens: Int64 { inputTokens &+ outputTokens &+ cachedInputTokens }

    public var json: JSONValue {
        .object([("model", .string(model)), ("calls", .int64(calls)), ("usd", .string(usd.decimal)), ("tokens", .int64(tokens)),
                 ("input_tokens", .int64(inputTokens)), ("output_tokens", .int64(outputTokens)),
                 ("cached_input_tokens", .int64(cachedInputTokens)), ("unpriced_calls", .int64(unpricedCalls))])
    }
}

extension BudgetSnapshot {
    /// The budget decision on what is used and reserved (`CostLedger.decide` reads those from the
    /// store; `policy test` states them): throws `.budgetExceeded` (exit 12) naming the cap, what
    /// is used and the limit, or returns when every cap holds. No budget: allowed.
    public func judge(projection: CostProjection, agentID: String) throws(GovernanceError) {
        guard let budget else { return }
        let projected: [(String, JSONValue)] = [("projected_tokens", projection.tokens > 0 ? .int64(projection.tokens) : .null),
                                                ("projected_usd", projection.usd > .zero ? .string(projection.usd.decimal) : .null)]
        func exceeded(_ cap: String, used: String, limit: String, unit: String, extra: String = "") -> GovernanceError {
            GovernanceError(.budgetExceeded, "budget exceeded for agent \(quoted(agentID)): \(cap) used \(used) of \(limit) \(unit)\(extra)",
                            hint: CostLedger.raiseHint(cap: cap, agentID: agentID),
                            details: [("cap", .string(cap)), ("used", .string(used)), ("limit", .string(limit))] + projected)
        }
        if budget.deniesUnpriced {
            for (cap, isSet, calls) in [("per_session_usd", budget.perSessionUSD != nil, sessionUnpricedCalls),
                                        ("per_agent_usd_daily", budget.perAgentUSDDaily != nil, agentDailyUnpricedCalls)] where isSet {
                var reason: String?
                if let model = projection.model, !projection.priced {
                    reason = "model \(quoted(model)) has no price"
                } else if calls > 0 {
                    reason = "\(calls) call\(calls == 1 ? "" : "s") to models without a price \(calls == 1 ? "was" : "were") tracked at $0"
                }
                guard let reason else { continue }
                throw GovernanceError(.budgetExceeded, "budget exceeded for agent \(quoted(agentID)): \(cap) cannot be kept: \(reason)",
                                      hint: "give the model a price (--pricing-file, or `governance cost models --import`), or set budget.unpriced: track_at_zero in the agent's policy",
                                      details: [("cap", .string(cap)), ("reason", .string("unpriced")), ("model", .optional(projection.model))] + projected)
            }
        }
        for (name, cap, used) in [("per_session_usd", budget.perSessionUSD, Money(nanos: sessionUSDUsed.nanos.saturatingAdd(sessionUSDReserved.nanos))),
                                  ("per_agent_usd_daily", budget.perAgentUSDDaily, Money(nanos: agentDailyUSDUsed.nanos.saturatingAdd(agentDailyUSDReserved.nanos)))] {
            guard let cap else { continue }
            if used >= cap {
                throw exceeded(name, used: used.decimal, limit: cap.decimal, unit: "USD")
            }
            if projection.usd > .zero, projection.usd.nanos > cap.nanos - used.nanos {
                throw exceeded(name, used: used.decimal, limit: cap.decimal, unit: "USD", extra: " (\(projection.usd.decimal) more projected)")
            }
        }
        for (name, cap, used) in [("per_session_tokens", budget.perSessionTokens, sessionTokensUsed.saturatingAdd(sessionTokensReserved)),
                                  ("per_agent_tokens_daily", budget.perAgentTokensDaily, agentDailyTokensUsed.saturatingAdd(agentDailyTokensReserved))] {
            guard let cap else { continue }
            if used >= cap {
                throw exceeded(name, used: String(used), limit: String(cap), unit: "tokens")
            }
            if projection.tokens > 0, projection.tokens > cap - used {
                throw exceeded(name, used: String(used), limit: String(cap), unit: "tokens", extra: " (\(projection.tokens) more projected)")
            }
        }
        if let cap = budget.perSessionSeconds, sessionSecondsUsed >= cap {
            throw exceeded("per_session_seconds", used: String(sessionSecondsUsed), limit: String(cap), unit: "seconds")
        }
    }
}

/// Used and remaining, as the reference SDK's BudgetSnapshot: each capped figure has a
/// `_remaining` twin (never below zero).
public struct BudgetSnapshot: Sendable, Equatable {
    public var budget: BudgetPolicy?
    public var sessionUSDUsed = Money.zero
    public var sessionTokensUsed: Int64 = 0
    public var agentDailyUSDUsed = Money.zero
    public var agentDailyTokensUsed: Int64 = 0
    public var sessionSecondsUsed: Int64 = 0
    /// Held by live reservations (passing checks whose spend has not been tracked yet).
    public var sessionUSDReserved = Money.zero
    public var sessionTokensReserved: Int64 = 0
    public var agentDailyUSDReserved = Money.zero
    public var agentDailyTokensReserved: Int64 = 0
    /// Calls to models without a price, tracked at $0.
    public var sessionUnpricedCalls: Int64 = 0
    public var agentDailyUnpricedCalls: Int64 = 0

    public init(budget: BudgetPolicy?) { self.budget = budget }

    /// USD as decimal strings (exact), tokens and seconds as integers. `_remaining` is what is
    /// left after spend and live reservations.
    public var json: JSONValue {
        func remaining(_ cap: Money, _ used: Money, _ reserved: Money) -> JSONValue {
            .string(Money(nanos: max(0, cap.nanos - used.nanos.saturatingAdd(reserved.nanos))).decimal)
        }
        func remaining(_ cap: Int64, _ used: Int64, _ reserved: Int64) -> JSONValue { .int64(max(0, cap - used.saturatingAdd(reserved))) }
        var m: [(String, JSONValue)] = [("session_usd_used", .string(sessionUSDUsed.decimal)),
                                        ("session_usd_reserved", .string(sessionUSDReserved.decimal))]
        if let cap = budget?.perSessionUSD { m.append(("session_usd_remaining", remaining(cap, sessionUSDUsed, sessionUSDReserved))) }
        m += [("session_tokens_used", .int64(sessionTokensUsed)), ("session_tokens_reserved", .int64(sessionTokensReserved))]
        if let cap = budget?.perSessionTokens { m.append(("session_tokens_remaining", remaining(cap, sessionTokensUsed, sessionTokensReserved))) }
        m += [("agent_daily_usd_used", .string(agentDailyUSDUsed.decimal)), ("agent_daily_usd_reserved", .string(agentDailyUSDReserved.decimal))]
        if let cap = budget?.perAgentUSDDaily { m.append(("agent_daily_usd_remaining", remaining(cap, agentDailyUSDUsed, agentDailyUSDReserved))) }
        m += [("agent_daily_tokens_used", .int64(agentDailyTokensUsed)), ("agent_daily_tokens_reserved", .int64(agentDailyTokensReserved))]
        if let cap = budget?.perAgentTokensDaily {
            m.append(("agent_daily_tokens_remaining", remaining(cap, agentDailyTokensUsed, agentDailyTokensReserved)))
        }
        m.append(("session_seconds_used", .int64(sessionSecondsUsed)))
        if let cap = budget?.perSessionSeconds { m.append(("session_seconds_remaining", remaining(cap, sessionSecondsUsed, 0))) }
        m += [("session_unpriced_calls", .int64(sessionUnpricedCalls)), ("agent_daily_unpriced_calls", .int64(agentDailyUnpricedCalls))]
        return .object(m)
    }
}

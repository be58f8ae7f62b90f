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
    /// the same transaction: counted and audited exactly once).
    public func trackInTransaction(agentID: String, sessionID: SessionID, usage: Usage, at time: Timestamp) throws {
        try Identifier.check(agentID, field: "agent")
        guard usage.tokens >= 0, usage.usd.nanos >= 0, usage.inputTokens >= 0, usage.outputTokens >= 0, usage.cachedInputTokens >= 0 else {
            throw GovernanceError.invalid("tokens and USD must be 0 or more")
        }
        let now = time.microseconds
        let overflow = GovernanceError.invalid("the counters would overflow; nothing was added",
                                               hint: "the amounts are beyond what a counter holds (\(Money(nanos: .max)) USD or \(Int64.max) tokens)")
        let changed = try db.execute("""
            INSERT INTO governance_cost_sessions (agent_id, session_id, usd_nanos, tokens, started_at_us, updated_at_us)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (agent_id, session_id) DO UPDATE SET
                usd_nanos = governance_cost_sessions.usd_nanos + excluded.usd_nanos,
                tokens = governance_cost_sessions.tokens + excluded.tokens,
                updated_at_us = excluded.updated_at_us
            WHERE governance_cost_sessions.usd_nanos <= \(Self.maxCounter) - excluded.usd_nanos
              AND governance_cost_sessions.tokens <= \(Self.maxCounter) - excluded.tokens
            """, [.text(agentID), .text(sessionID.value), .int(usage.usd.nanos), .int(usage.tokens), .int(now), .int(now)])
        guard changed == 1 else { throw overflow }
        let dailyChanged = try db.execute("""
            INSERT INTO governance_cost_daily (agent_id, day, usd_nanos, tokens) VALUES (?, ?, ?, ?)
            ON CONFLICT (agent_id, day) DO UPDATE SET
                usd_nanos = governance_cost_daily.usd_nanos + excluded.usd_nanos,
                tokens = governance_cost_daily.tokens + excluded.tokens
            WHERE governance_cost_daily.usd_nanos <= \(Self.maxCounter) - excluded.usd_nanos
              AND governance_cost_daily.tokens <= \(Self.maxCounter) - excluded.tokens
            """, [.text(agentID), .text(Self.day(time)), .int(usage.usd.nanos), .int(usage.tokens)])
        guard dailyChanged == 1 else { throw overflow }
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

    /// The budget check (an enforcement check: call it inside `Enforcer.enforce`). Starts the
    /// session clock if this is the session's first call, then denies with `.budgetExceeded`
    /// (exit 12) naming the cap, what is used and the limit when: a USD or token cap is used up
    /// (used >= cap), `projectedTokens` would take a token cap past its limit (used + projected >
    /// cap), or the session is older than `per_session_seconds`. Returns the snapshot when allowed.
    public func check(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, projectedTokens: Int64? = nil,
                      at time: Timestamp = .now()) throws -> BudgetSnapshot {
        if let projectedTokens, projectedTokens < 1 {
            throw GovernanceError.invalid("projected tokens must be 1 or more (got \(projectedTokens))")
        }
        try db.execute("""
            INSERT INTO governance_cost_sessions (agent_id, session_id, usd_nanos, tokens, started_at_us, updated_at_us)
            VALUES (?, ?, 0, 0, ?, ?) ON CONFLICT (agent_id, session_id) DO NOTHING
            """, [.text(agentID), .text(sessionID.value), .int(time.microseconds), .int(time.microseconds)])
        let snapshot = try self.snapshot(agentID: agentID, sessionID: sessionID, budget: budget, at: time)
        guard let budget else { return snapshot }
        func exceeded(_ cap: String, used: String, limit: String, unit: String, extra: String = "") -> GovernanceError {
            GovernanceError(.budgetExceeded, "budget exceeded for agent \(quoted(agentID)): \(cap) used \(used) of \(limit) \(unit)\(extra)",
                            hint: "raise the cap in the agent's policy, or start a new session",
                            details: [("cap", .string(cap)), ("used", .string(used)), ("limit", .string(limit)),
                                      ("projected_tokens", projectedTokens.map { .int64($0) } ?? .null)])
        }
        if let cap = budget.perSessionUSD, snapshot.sessionUSDUsed >= cap {
            throw exceeded("per_session_usd", used: snapshot.sessionUSDUsed.decimal, limit: cap.decimal, unit: "USD")
        }
        if let cap = budget.perAgentUSDDaily, snapshot.agentDailyUSDUsed >= cap {
            throw exceeded("per_agent_usd_daily", used: snapshot.agentDailyUSDUsed.decimal, limit: cap.decimal, unit: "USD")
        }
        for (name, cap, used) in [("per_session_tokens", budget.perSessionTokens, snapshot.sessionTokensUsed),
                                  ("per_agent_tokens_daily", budget.perAgentTokensDaily, snapshot.agentDailyTokensUsed)] {
            guard let cap else { continue }
            if used >= cap {
                throw exceeded(name, used: String(used), limit: String(cap), unit: "tokens")
            }
            if let projectedTokens, projectedTokens > cap - used {
                throw exceeded(name, used: String(used), limit: String(cap), unit: "tokens", extra: " (\(projectedTokens) more projected)")
            }
        }
        if let cap = budget.perSessionSeconds, snapshot.sessionSecondsUsed >= cap {
            throw exceeded("per_session_seconds", used: String(snapshot.sessionSecondsUsed), limit: String(cap), unit: "seconds")
        }
        return snapshot
    }

    /// What is used, read only (the session clock is not started by looking).
    public func snapshot(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, at time: Timestamp = .now()) throws -> BudgetSnapshot {
        var snapshot = BudgetSnapshot(budget: budget)
        if let row = try db.queryFirst("SELECT usd_nanos, tokens, started_at_us FROM governance_cost_sessions WHERE agent_id = ? AND session_id = ?",
                                       [.text(agentID), .text(sessionID.value)]) {
            snapshot.sessionUSDUsed = Money(nanos: try row.int(0))
            snapshot.sessionTokensUsed = try row.int(1)
            snapshot.sessionSecondsUsed = max(0, (time.microseconds - (try row.int(2))) / 1_000_000)
        }
        if let row = try db.queryFirst("SELECT usd_nanos, tokens FROM governance_cost_daily WHERE agent_id = ? AND day = ?",
                                       [.text(agentID), .text(Self.day(time))]) {
            snapshot.agentDailyUSDUsed = Money(nanos: try row.int(0))
            snapshot.agentDailyTokensUsed = try row.int(1)
        }
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

/// Used and remaining, as the reference SDK's BudgetSnapshot: each capped figure has a
/// `_remaining` twin (never below zero).
public struct BudgetSnapshot: Sendable, Equatable {
    public var budget: BudgetPolicy?
    public var sessionUSDUsed = Money.zero
    public var sessionTokensUsed: Int64 = 0
    public var agentDailyUSDUsed = Money.zero
    public var agentDailyTokensUsed: Int64 = 0
    public var sessionSecondsUsed: Int64 = 0

    public init(budget: BudgetPolicy?) { self.budget = budget }

    /// USD as decimal strings (exact), tokens and seconds as integers.
    public var json: JSONValue {
        func remaining(_ cap: Money, _ used: Money) -> JSONValue { .string(Money(nanos: max(0, cap.nanos - used.nanos)).decimal) }
        func remaining(_ cap: Int64, _ used: Int64) -> JSONValue { .int64(max(0, cap - used)) }
        var m: [(String, JSONValue)] = [("session_usd_used", .string(sessionUSDUsed.decimal))]
        if let cap = budget?.perSessionUSD { m.append(("session_usd_remaining", remaining(cap, sessionUSDUsed))) }
        m.append(("session_tokens_used", .int64(sessionTokensUsed)))
        if let cap = budget?.perSessionTokens { m.append(("session_tokens_remaining", remaining(cap, sessionTokensUsed))) }
        m.append(("agent_daily_usd_used", .string(agentDailyUSDUsed.decimal)))
        if let cap = budget?.perAgentUSDDaily { m.append(("agent_daily_usd_remaining", remaining(cap, agentDailyUSDUsed))) }
        m.append(("agent_daily_tokens_used", .int64(agentDailyTokensUsed)))
        if let cap = budget?.perAgentTokensDaily { m.append(("agent_daily_tokens_remaining", remaining(cap, agentDailyTokensUsed))) }
        m.append(("session_seconds_used", .int64(sessionSecondsUsed)))
        if let cap = budget?.perSessionSeconds { m.append(("session_seconds_remaining", remaining(cap, sessionSecondsUsed))) }
        return .object(m)
    }
}

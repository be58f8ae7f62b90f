/// What one call may spend at most: the tokens it may use and, when its model is known, those
/// tokens priced at the model's dearest per-token rate (the worst case).
public struct CostProjection: Sendable, Equatable {
    public var tokens: Int64
    public var usd: Money
    /// The model the call will use; nil when not given.
    public var model: String?
    /// False when `model` is given and the pricing table has no price for it.
    public var priced: Bool

    public init(tokens: Int64, usd: Money = .zero, model: String? = nil, priced: Bool = true) {
        self.tokens = tokens
        self.usd = usd
        self.model = model
        self.priced = priced
    }

    /// Nothing projected: the check judges spend and reservations only, and reserves nothing.
    public static let none = CostProjection(tokens: 0)

    public var isEmpty: Bool { tokens == 0 && usd == .zero }

    /// The projection of a call. `projectedTokens` (`--projected-tokens`) or `maxTokens`
    /// (`--max-tokens`, the reference SDK's name), else `GOVERNANCE_DEFAULT_MAX_TOKENS`; with a
    /// model, every one of those tokens is priced at the model's highest rate (input, output or
    /// cached input), so the reservation covers the worst case. A model without a price projects
    /// $0 and is marked unpriced (the budget's `unpriced` rule decides). Bad values are exit 2
    /// (flags) or 3 (the environment); a model without any token count is exit 2.
    public static func resolve(projectedTokens: Int64? = nil, maxTokens: Int64? = nil, model: String? = nil,
                               pricing: PricingTable = .builtIn,
                               environment: (String) -> String? = FileSystem.environment) throws(GovernanceError) -> CostProjection {
        if projectedTokens != nil, maxTokens != nil {
            throw .invalid("give --projected-tokens or --max-tokens, not both (they are the same projection)")
        }
        if let maxTokens, maxTokens < 1 { throw .invalid("--max-tokens must be 1 or more (got \(maxTokens))") }
        guard let tokens = try ProjectedTokens.resolve(flag: projectedTokens ?? maxTokens, environment: environment) else {
            if let model {
                throw .invalid("a projection for model \(quoted(model)) needs a token count",
                               hint: "give --max-tokens N (or --projected-tokens N), or set GOVERNANCE_DEFAULT_MAX_TOKENS")
            }
            return .none
        }
        guard let model else { return CostProjection(tokens: tokens) }
        try Identifier.check(model, field: "model", maxBytes: AuditEventInput.maxModelLength)
        guard let price = pricing.price(for: model) else { return CostProjection(tokens: tokens, model: model, priced: false) }
        let rate = max(price.inputNanosPerToken, price.outputNanosPerToken, price.cachedInputNanosPerToken)
        let (usd, overflow) = tokens.multipliedReportingOverflow(by: rate)
        guard !overflow else { throw .invalid("\(tokens) tokens of \(quoted(model)) cost more than the USD counter holds") }
        return CostProjection(tokens: tokens, usd: Money(nanos: usd), model: model)
    }
}

/// What a passing `cost check` holds against every cap of its agent until the call's spend settles
/// it (`cost track --reservation ID`, `track-usage --reservation ID`, or `exec`) or it expires.
public struct Reservation: Sendable, Equatable {
    /// A random UUID.
    public var id: String
    public var agentID: String
    public var sessionID: SessionID
    public var tokens: Int64
    public var usd: Money
    public var model: String?
    public var createdAt: Timestamp
    public var expiresAt: Timestamp

    /// `reservation_id`, `reserved_tokens`, `reserved_usd`, `reservation_expires_at`; nulls when
    /// nothing was reserved.
    public static func json(_ reservation: Reservation?) -> [(String, JSONValue)] {
        [("reservation_id", .optional(reservation?.id)),
         ("reserved_tokens", reservation.map { .int64($0.tokens) } ?? .null),
         ("reserved_usd", .optional(reservation?.usd.decimal)),
         ("reservation_expires_at", .optional(reservation?.expiresAt.iso8601))]
    }
}

/// A passing budget check: what was used, and what it reserved (nil when nothing was projected).
public struct BudgetDecision: Sendable, Equatable {
    public var snapshot: BudgetSnapshot
    public var reservation: Reservation?
}

extension CostLedger {
    /// The budget check that reserves (`cost check`, and `exec` with a projection). In ONE write
    /// transaction, serialised per agent across processes and hosts (`lockAgent`), it reads the
    /// spend and the live reservations, decides (see `decide`), and when the check passes and
    /// something is projected, inserts a reservation of the projection. So N concurrent checks
    /// never jointly pass beyond any cap: each sees the reservations of those before it.
    /// Reservations count against every token and USD cap (session, and the agent's UTC day of the
    /// check); `per_session_seconds` is time, which nothing reserves. A reservation expires after
    /// the policy's `budget.reservation_seconds` (default 900); expired ones stop counting. Without
    /// a budget there are no caps, and nothing is reserved.
    public func reserve(agentID: String, sessionID: SessionID, budget: BudgetPolicy?, projection: CostProjection,
                        at time: Timestamp = .now()) throws -> BudgetDecision {
        guard projection.tokens >= 0, projection.usd >= .zero else {
            throw GovernanceError.invalid("a projection must be 0 or more tokens and USD")
        }
        return try inWriteTransaction {
            var snapshot = try decide(agentID: agentID, sessionID: sessionID, budget: budget, projection: projection, at: time)
            guard !projection.isEmpty, budget != nil else { return BudgetDecision(snapshot: snapshot, reservation: nil) }
            let seconds = budget?.reservationSeconds ?? BudgetPolicy.defaultReservationSeconds
            let reservation = Reservation(id: try SessionID.random().value, agentID: agentID, sessionID: sessionID,
                                          tokens: projection.tokens, usd: projection.usd, model: projection.model, createdAt: time,
                                          expiresAt: Timestamp(microseconds: time.microseconds.saturatingAdd(seconds * 1_000_000)))
            try db.execute("""
                INSERT INTO governance_cost_reservations (reservation_id, agent_id, session_id, day, tokens, usd_nanos, model, created_at_us, expires_at_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(reservation.id), .text(agentID), .text(sessionID.value), .text(Self.day(time)), .int(reservation.tokens),
                      .int(reservation.usd.nanos), .optional(reservation.model), .int(time.microseconds), .int(reservation.expiresAt.microseconds)])
            snapshot.sessionTokensReserved = snapshot.sessionTokensReserved.saturatingAdd(projection.tokens)
            snapshot.agentDailyTokensReserved = snapshot.agentDailyTokensReserved.saturatingAdd(projection.tokens)
            snapshot.sessionUSDReserved = Money(nanos: snapshot.sessionUSDReserved.nanos.saturatingAdd(projection.usd.nanos))
            snapshot.agentDailyUSDReserved = Money(nanos: snapshot.agentDailyUSDReserved.nanos.saturatingAdd(projection.usd.nanos))
            return BudgetDecision(snapshot: snapshot, reservation: reservation)
        }
    }

    /// Releases the agent's reservation without tracking spend (a call that did not happen).
    /// Spend that names the reservation settles it in the same transaction instead (`track`).
    /// Returns false when there is none by that id for that agent (unknown, settled or expired).
    @discardableResult
    public func settle(reservationID: String, agentID: String) throws -> Bool {
        try inWriteTransaction { try settleInTransaction(reservationID: reservationID, agentID: agentID) }
    }

    /// Only the agent's own reservation is settled: an id of another agent's does nothing.
    @discardableResult
    func settleInTransaction(reservationID: String, agentID: String) throws -> Bool {
        try db.execute("DELETE FROM governance_cost_reservations WHERE reservation_id = ? AND agent_id = ?",
                       [.text(reservationID), .text(agentID)]) == 1
    }

    /// A live reservation by id; nil when unknown, settled or expired.
    public func reservation(id: String, at time: Timestamp = .now()) throws -> Reservation? {
        guard let row = try db.queryFirst("""
            SELECT agent_id, session_id, tokens, usd_nanos, model, created_at_us, expires_at_us
            FROM governance_cost_reservations WHERE reservation_id = ? AND expires_at_us > ?
            """, [.text(id), .int(time.microseconds)]) else { return nil }
        return Reservation(id: id, agentID: try row.text(0), sessionID: try SessionID.parse(try row.text(1)), tokens: try row.int(2),
                           usd: Money(nanos: try row.int(3)), model: row.optionalText(4), createdAt: Timestamp(microseconds: try row.int(5)),
                           expiresAt: Timestamp(microseconds: try row.int(6)))
    }
}

/// `cost track` and `cost track-usage` are observations: the spend is counted and audited in one
/// transaction when the store is up, and spooled as an audit event when it is down. The event
/// carries the spend under `metadata["governance.cost"]`, so replaying the spool (`audit flush`)
/// counts it exactly once: the spool's replay markers and the counters commit together.
extension CostLedger {
    /// The metadata key that marks an audit event as counted spend.
    public static let metadataKey = "governance.cost"

    /// The audit event of a tracked call: `llm.call` with the model for `track-usage`,
    /// `cost.tracked` for `track`. Spend is per session: pass `AgentChain.resolve(session, agentID:)`.
    public static func event(agentID: String, sessionID: SessionID, usage: Usage) -> AuditEventInput {
        AuditEventInput(sessionID: sessionID, agentID: agentID, kind: usage.model == nil ? EventKind.costTracked : EventKind.llmCall,
                        model: usage.model, metadata: .object([(metadataKey, .object(usage.metadata))]))
    }

    /// Counts and appends validated tracked-spend events in ONE write transaction (the store is up):
    /// the append counts them (`ChainEffects`).
    @discardableResult
    public func record(_ events: [PendingEvent], keys: PurposeKeys) throws -> [AuditRecord] {
        try db.writeTransaction { try AuditLog(db: db, keys: keys).appendInTransaction(events, returningIDs: true) }
    }

    /// Inside the caller's write transaction, counts every event that carries spend (others are
    /// ignored). Every append calls this (`ChainEffects`), so spooled spend is counted once, when
    /// its event enters the chain. Spend is counted on the event's own UTC day.
    public func applyReplayed(_ events: [PendingEvent]) throws {
        for pending in events {
            guard let usage = try Self.usage(in: pending) else { continue }
            try trackInTransaction(agentID: pending.event.agentID, sessionID: pending.event.sessionID, usage: usage, at: pending.createdAt)
        }
    }

    /// The spend an event carries, checked like any input (a spool file may be edited by hand).
    static func usage(in pending: PendingEvent) throws -> Usage? {
        try usage(metadata: pending.event.metadata, model: pending.event.model, kind: pending.event.kind)
    }

    /// The spend in an event's metadata (`governance.cost`); nil when it carries none.
    static func usage(metadata: JSONValue, model: String?, kind: String) throws -> Usage? {
        guard case .object(let members) = metadata,
              let cost = members.first(where: { $0.0 == metadataKey })?.1 else { return nil }
        func count(_ key: String) throws(GovernanceError) -> Int64 {
            guard case .number(let n)? = cost[key] else { return 0 }
            guard n >= 0, n <= 9_007_199_254_740_991, n == n.rounded(.towardZero) else {
                throw .invalid("the spend in a \(kind) event has an invalid \(key)")
            }
            return Int64(n)
        }
        guard let usdText = cost["usd"]?.stringValue else { throw GovernanceError.invalid("the spend in a \(kind) event has no usd") }
        var usage = Usage(tokens: try count("tokens"), usd: try Money.parse(usdText))
        if let model {
            usage.model = model
            usage.inputTokens = try count("input_tokens")
            usage.outputTokens = try count("output_tokens")
            usage.cachedInputTokens = try count("cached_input_tokens")
            if case .bool(let priced)? = cost["priced"] { usage.priced = priced }
        }
        if let reservation = cost["reservation_id"] {
            guard let text = reservation.stringValue, let id = SessionID(text) else {
                throw GovernanceError.invalid("the spend in a \(kind) event has an invalid reservation_id")
            }
            usage.reservationID = id.value
        }
        return usage
    }
}

/// `--projected-tokens` for `cost check`: the flag, else `GOVERNANCE_DEFAULT_MAX_TOKENS`, else none.
public enum ProjectedTokens {
    /// Flag values below 1 are bad input (exit 2); an environment value below 1 or not a number is
    /// a configuration error (exit 3).
    public static func resolve(flag: Int64?, environment: (String) -> String? = FileSystem.environment) throws(GovernanceError) -> Int64? {
        if let flag {
            guard flag >= 1 else { throw .invalid("--projected-tokens must be 1 or more (got \(flag))") }
            return flag
        }
        guard let text = environment(EnvironmentVariable.defaultMaxTokens.name) else { return nil }
        guard text.utf8.allSatisfy(isDigit), text.utf8.count <= 18, let value = Int64(text), value >= 1 else {
            throw .config("GOVERNANCE_DEFAULT_MAX_TOKENS is \(quoted(text)); it must be a whole number of 1 or more")
        }
        return value
    }
}

extension PricingTable {
    /// The table in effect: built in, overridden by `--pricing-file` (the flag) or else
    /// `GOVERNANCE_PRICING_FILE`. An unreadable or invalid file is exit 2.
    public static func resolve(file flag: String?, environment: (String) -> String? = FileSystem.environment) throws(GovernanceError) -> PricingTable {
        guard let path = flag ?? environment(EnvironmentVariable.pricingFile.name) else { return .builtIn }
        let bytes = try DocumentFile.read(path, what: "pricing file")
        return try PricingTable.builtIn.overriding(file: bytes, source: path)
    }
}

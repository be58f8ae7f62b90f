/// Filters for `audit events`.
public struct AuditFilter: Sendable {
    public var sessionID: SessionID?
    public var agentID: String?
    public var kind: String?
    public var since: Timestamp?
    public var until: Timestamp?
    /// Keep only the newest `limit` matches (still returned oldest first).
    public var limit: Int?
    /// Only rows stored after this row id.
    public var afterID: Int64?

    public init(sessionID: SessionID? = nil, agentID: String? = nil, kind: String? = nil,
                since: Timestamp? = nil, until: Timestamp? = nil, limit: Int? = nil) {
        self.sessionID = sessionID
        self.agentID = agentID
        self.kind = kind
        self.since = since
        self.until = until
        self.limit = limit
    }
}

/// Reads stored events, streaming.
public struct AuditQuery {
    public let db: SQLConnection

    public init(db: SQLConnection) { self.db = db }

    /// Matching events in append order.
    public func events(_ filter: AuditFilter, _ body: (AuditRecord) throws -> Void) throws {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
        if let s = filter.sessionID { conditions.append("session_id = ?"); parameters.append(.text(s.value)) }
        if let a = filter.agentID { conditions.append("agent_id = ?"); parameters.append(.text(a)) }
        if let k = filter.kind { conditions.append("kind = ?"); parameters.append(.text(k)) }
        if let t = filter.since { conditions.append("created_at_us >= ?"); parameters.append(.int(t.microseconds)) }
        if let t = filter.until { conditions.append("created_at_us < ?"); parameters.append(.int(t.microseconds)) }
        if let id = filter.afterID { conditions.append("id > ?"); parameters.append(.int(id)) }
        var sql = "SELECT \(AuditLog.columns) FROM governance_audit_events"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        if let limit = filter.limit {
            sql = "SELECT \(AuditLog.columns) FROM (\(sql) ORDER BY id DESC LIMIT ?) newest ORDER BY id"
            parameters.append(.int(Int64(limit)))
        } else {
            sql += " ORDER BY id"
        }
        try db.forEachRow(sql, parameters) { try body(try AuditLog.record(from: $0)) }
    }

    /// `audit events --verify`: the matching events, each with whether its HMAC and its chain up to
    /// it verify, read in one snapshot. At most `maxVerified` events (the listing is held to check
    /// it); more is a usage error asking for a narrower listing.
    public static let maxVerified = 100_000

    public func verifiedEvents(_ filter: AuditFilter, keys: PurposeKeys) throws -> [(record: AuditRecord, verified: Bool)] {
        var records: [AuditRecord] = []
        let verdicts = try db.readTransaction {
            try events(filter) { record in
                guard records.count < Self.maxVerified else {
                    throw GovernanceError.usage("more than \(grouped(Self.maxVerified)) events match; --verify checks at most that many",
                                                hint: "narrow the listing with --limit, --session or --since, or run `governance audit verify`")
                }
                records.append(record)
            }
            return try ChainVerifier(db: db, keys: keys).verdicts(for: records)
        }
        return Array(zip(records, verdicts)).map { (record: $0.0, verified: $0.1) }
    }

    /// The failure `audit events --verify` exits 20 with when a listed event did not verify.
    public static let verificationFailed = GovernanceError(.integrityFailure, "one or more listed events failed verification",
                                                           hint: "run `governance audit verify` to see the first bad seq of each session")

    /// One session's rows in chain order, from `fromSeq` on.
    public func chain(_ session: SessionID, fromSeq: Int64 = 1, _ body: (AuditRecord) throws -> Void) throws {
        try db.forEachRow("SELECT \(AuditLog.columns) FROM governance_audit_events WHERE session_id = ? AND seq >= ? ORDER BY seq, id",
                          [.text(session.value), .int(fromSeq)]) { try body(try AuditLog.record(from: $0)) }
    }

    /// Every stored row in chain order (session, then seq): what `audit export` writes.
    public func all(_ body: (AuditRecord) throws -> Void) throws {
        try db.forEachRow("SELECT \(AuditLog.columns) FROM governance_audit_events ORDER BY session_id, seq, id", []) {
            try body(try AuditLog.record(from: $0))
        }
    }

    /// The session head: where the chain ends, as the appends recorded it.
    public func head(_ session: SessionID) throws -> (seq: Int64, hmac: String)? {
        guard let row = try db.queryFirst("SELECT last_seq, last_hmac FROM governance_audit_sessions WHERE session_id = ?",
                                          [.text(session.value)]) else { return nil }
        return (try row.int(0), try row.text(1))
    }
}

/// One session as `audit sessions` lists it.
public struct SessionSummary: Sendable {
    public var sessionID: String
    public var firstAt: Timestamp
    public var lastAt: Timestamp
    public var events: Int64
    /// The session's agents, sorted (at most `AuditQuery.maxAgentsListed`).
    public var agents: [String]
    public var agentCount: Int64
}

extension AuditQuery {
    public static let maxAgentsListed = 20

    /// The most recently active sessions first, at most `limit`.
    public func sessions(agentID: String? = nil, limit: Int) throws -> [SessionSummary] {
        var sql = "SELECT session_id, MIN(created_at_us), MAX(created_at_us), COUNT(*), COUNT(DISTINCT agent_id), MIN(agent_id) FROM governance_audit_events"
        var parameters: [SQLValue] = []
        if let agentID {
            sql += " WHERE session_id IN (SELECT DISTINCT session_id FROM governance_audit_events WHERE agent_id = ?)"
            parameters.append(.text(agentID))
        }
        sql += " GROUP BY session_id ORDER BY MAX(created_at_us) DESC, session_id LIMIT ?"
        parameters.append(.int(Int64(limit)))
        var summaries: [SessionSummary] = []
        try db.forEachRow(sql, parameters) { row in
            summaries.append(SessionSummary(sessionID: try row.text(0), firstAt: Timestamp(microseconds: try row.int(1)),
                                            lastAt: Timestamp(microseconds: try row.int(2)), events: try row.int(3),
                                            agents: [try row.text(5)], agentCount: try row.int(4)))
        }
        for i in summaries.indices where summaries[i].agentCount > 1 {
            summaries[i].agents = try db.query(
                "SELECT DISTINCT agent_id FROM governance_audit_events WHERE session_id = ? ORDER BY agent_id LIMIT ?",
                [.text(summaries[i].sessionID), .int(Int64(Self.maxAgentsListed))]).map { try $0.text(0) }
        }
        return summaries
    }

    /// How many sessions hold events.
    public func sessionCount() throws -> Int64 {
        try db.queryFirst("SELECT COUNT(DISTINCT session_id) FROM governance_audit_events")?.int(0) ?? 0
    }
}

import GovernanceCore

/// Builds audit logs that hold the events the enforcement, operator and gate commands write,
/// appended through the core's AuditLog at chosen times, so compliance reports can be tested on
/// both stores before (and independently of) those commands.
public final class ComplianceFixture {
    public let store: Store
    public let log: AuditLog
    /// Fixture days are counted from here (2026-11-01T00:00:00Z).
    public static let epoch = Timestamp(parsing: "2026-11-01T00:00:00Z")!
    public static let hour: Int64 = 3_600_000_000

    public init(_ db: TestDatabase) throws {
        store = try db.open()
        log = AuditLog(db: store.connection, keys: testKeys)
    }

    /// The time `day` days and `hour` hours after the epoch.
    public static func at(day: Int, hour: Int = 9, minute: Int = 0) -> Timestamp {
        Timestamp(microseconds: epoch.microseconds + Int64(day) * 24 * Self.hour + Int64(hour) * Self.hour + Int64(minute) * 60_000_000)
    }

    /// Appends one event. An operator's kind (a kill, a grant, a policy) is signed as the operator
    /// commands sign it, by the operator its `by` (or `operator`) names; without either, by an
    /// operator the event does not name.
    @discardableResult
    public func add(_ kind: String, agent: String = "agent-a", session: SessionID, model: String? = nil, inputHash: String? = nil,
                    metadata: [(String, JSONValue)] = [], signed: Bool = true, at time: Timestamp) throws -> AuditRecord {
        var fields = metadata
        if signed && EventKind.needsOperatorSignature(kind) {
            let named = metadata.first { $0.0 == "by" || $0.0 == "operator" }?.1.stringValue
            let credential = try TestOperators.credential(named ?? "fixture-operator", db: store.connection, keys: testKeys, audited: false)
            let signature = try credential.sign(kind, agentID: agent, fields: [], at: time)
            fields.removeAll { $0.0 == "by" }
            fields += signature.auditFields.filter { $0.0 != "by" || named != nil }
        }
        return try log.append(AuditEventInput(sessionID: session, agentID: agent, kind: kind, model: model, inputHash: inputHash,
                                              metadata: .object(fields)), at: time)
    }

    public static let inputHash = String(repeating: "ab", count: 32)

    /// A governed agent over two days: a policy, model calls, a violation answered by a gate that
    /// an identified operator granted, the gated tool call, a loop answered by a kill.
    @discardableResult
    public func wellGovernedAgent(_ agent: String = "agent-a", days: Int = 2) throws -> [SessionID] {
        var sessions: [SessionID] = []
        let own = try SessionID.random()
        try add(EventKind.policyApplied, agent: agent, session: own, metadata: [("operator", .string("alice"))], at: Self.at(day: 0, hour: 8))
        for day in 0..<days {
            let s = try SessionID.random()
            sessions.append(s)
            try add(EventKind.llmCall, agent: agent, session: s, model: "gpt-4o", inputHash: Self.inputHash, at: Self.at(day: day, hour: 9))
            try add(EventKind.toolCall, agent: agent, session: s, inputHash: Self.inputHash, at: Self.at(day: day, hour: 9, minute: 5))
            try add(EventKind.scopeViolation, agent: agent, session: s, metadata: [("tool", .string("shell"))], at: Self.at(day: day, hour: 9, minute: 10))
            try add(EventKind.gateRequested, agent: agent, session: s, metadata: [("request_id", .string("r\(day)")), ("kind", .string("tool"))],
                    at: Self.at(day: day, hour: 9, minute: 11))
            try add(EventKind.gateGranted, agent: agent, session: s,
                    metadata: [("request_id", .string("r\(day)")), ("by", .string("bob")), ("os_user", .string("bob")), ("host", .string("ops-1"))],
                    at: Self.at(day: day, hour: 9, minute: 20))
            try add(EventKind.toolCall, agent: agent, session: s, inputHash: Self.inputHash, at: Self.at(day: day, hour: 9, minute: 21))
            try add(EventKind.llmCall, agent: agent, session: s, model: "claude-sonnet-4-5", inputHash: Self.inputHash, at: Self.at(day: day, hour: 10))
        }
        let last = sessions.last!
        try add(EventKind.loopDetected, agent: agent, session: last, at: Self.at(day: days - 1, hour: 11))
        try add(EventKind.operatorKill, agent: agent, session: own, metadata: [("by", .string("carol")), ("os_user", .string("carol"))],
                at: Self.at(day: days - 1, hour: 11, minute: 1))
        // The next enforcement call of the killed agent is refused: the stop held.
        try add(EventKind.killEnforced, agent: agent, session: last, metadata: [("action", .string("scope.check"))],
                at: Self.at(day: days - 1, hour: 11, minute: 2))
        return sessions
    }
}

/// Counts calls per agent, session and lower-cased tool in a sliding window. The call that makes
/// the count exceed `max_calls` is a detected loop. Old calls are pruned as new ones arrive, so
/// the table holds at most one window of calls per agent.
public struct LoopDetector {
    public let db: SQLConnection

    /// How long calls are kept for an agent without a loop policy (recorded, never judged).
    public static let retentionWithoutPolicy: Int64 = 3_600

    public init(db: SQLConnection) { self.db = db }

    public struct Observation: Sendable, Equatable {
        /// The lower-cased tool.
        public var tool: String
        /// Calls of this tool in the window, this one included.
        public var count: Int64
        /// nil without a loop policy.
        public var policy: LoopPolicy?

        public var detected: Bool { policy.map { count > $0.maxCalls } ?? false }

        public var json: JSONValue {
            .object([("tool", .string(tool)), ("count", .int64(count)), ("detected", .bool(detected)),
                     ("window_seconds", policy.map { .int64($0.windowSeconds) } ?? .null),
                     ("max_calls", policy.map { .int64($0.maxCalls) } ?? .null),
                     ("action", policy.map { .string($0.action.rawValue) } ?? .null)])
        }

        /// The denial for `action: raise` (exit 13), or the warning for `action: log`.
        func message(agentID: String) -> String {
            "loop detected for agent \(quoted(agentID)): tool \(quoted(tool)) called \(count) times in \(policy?.windowSeconds ?? 0) seconds (max_calls \(policy?.maxCalls ?? 0))"
        }
    }

    /// Records one call (in its own write transaction, under a lock on the counted key, so
    /// concurrent recorders count exactly).
    public func record(agentID: String, sessionID: SessionID, tool: String, policy: LoopPolicy?,
                       at time: Timestamp = .now()) throws -> Observation {
        try Identifier.check(tool, field: "tool")
        let key = Self.key(tool)
        let since = Self.windowStart(policy, at: time)
        return try db.writeTransaction {
            try db.lockChain("governance/loop/\(agentID)/\(sessionID.value)/\(key)")
            try db.execute("DELETE FROM governance_loop_calls WHERE agent_id = ? AND called_at_us <= ?", [.text(agentID), .int(since)])
            try db.execute("INSERT INTO governance_loop_calls (agent_id, session_id, tool, called_at_us) VALUES (?, ?, ?, ?)",
                           [.text(agentID), .text(sessionID.value), .text(key), .int(time.microseconds)])
            let count = try db.queryFirst("""
                SELECT COUNT(*) FROM governance_loop_calls
                WHERE agent_id = ? AND session_id = ? AND tool = ? AND called_at_us > ?
                """, [.text(agentID), .text(sessionID.value), .text(key), .int(since)])?.int(0) ?? 0
            return Observation(tool: key, count: count, policy: policy)
        }
    }

    /// The enforcement check for `loop record`: records the call, then throws `.loopDetected`
    /// (exit 13) under `raise`, or audits `loop.detected` and warns under `log`.
    /// `onlyWithPolicy` (a governed step): without a loop policy nothing is recorded, saving the
    /// step a durable write; nothing would judge the call.
    public static func recordCheck(_ context: EnforcementContext, tool: String, onlyWithPolicy: Bool = false) throws -> Observation {
        let policy = try context.policy()?.loop
        if onlyWithPolicy && policy == nil {
            return Observation(tool: key(tool), count: 0, policy: nil)
        }
        let observation = try LoopDetector(db: context.db).record(agentID: context.agentID, sessionID: context.sessionID,
                                                                  tool: tool, policy: policy, at: context.now)
        if let logged = try verdict(observation, agentID: context.agentID) {
            context.audit(kind: EventKind.loopDetected, metadata: [("reason", .string(logged.message))] + logged.details)
            context.warn(logged.message + " (allowed: the loop policy's action is log)")
        }
        return observation
    }

    /// The decision on one counted call: nil when no loop is detected; under `action: raise` a
    /// `.loopDetected` error (exit 13); under `action: log` the detection to audit and warn of,
    /// the call allowed.
    public static func verdict(_ observation: Observation, agentID: String) throws(GovernanceError) -> (message: String, details: [(String, JSONValue)])? {
        guard observation.detected, let policy = observation.policy else { return nil }
        let message = observation.message(agentID: agentID)
        let details: [(String, JSONValue)] = [("tool", .string(observation.tool)), ("count", .int64(observation.count)),
                                              ("window_seconds", .int64(policy.windowSeconds)), ("max_calls", .int64(policy.maxCalls)),
                                              ("action", .string(policy.action.rawValue))]
        switch policy.action {
        case .raise:
            throw GovernanceError(.loopDetected, message, hint: "the agent is repeating itself; stop it, or raise max_calls in its loop policy",
                                  details: details)
        case .log:
            return (message, details)
        }
    }

    /// Calls are counted per lower-cased tool (case-insensitive, as the reference SDK).
    public static func key(_ tool: String) -> String { tool.lowercased() }

    /// Calls after this instant (exclusive) are in the window that ends at `time`.
    public static func windowStart(_ policy: LoopPolicy?, at time: Timestamp) -> Int64 {
        time.microseconds - (policy?.windowSeconds ?? retentionWithoutPolicy) * 1_000_000
    }

    /// Tools of the session whose calls in the window exceed `max_calls` now (empty without a
    /// loop policy): `loop check`.
    public func check(agentID: String, sessionID: SessionID, policy: LoopPolicy?, at time: Timestamp = .now()) throws -> [Observation] {
        guard let policy else { return [] }
        return try db.query("""
            SELECT tool, COUNT(*) FROM governance_loop_calls
            WHERE agent_id = ? AND session_id = ? AND called_at_us > ?
            GROUP BY tool HAVING COUNT(*) > ? ORDER BY tool LIMIT 10000
            """, [.text(agentID), .text(sessionID.value), .int(time.microseconds - policy.windowSeconds * 1_000_000), .int(policy.maxCalls)])
            .map { Observation(tool: try $0.text(0), count: try $0.int(1), policy: policy) }
    }
}

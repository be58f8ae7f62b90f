/// The kill marker: written by `presence kill`, cleared by `presence revive`, read by the
/// enforcement path at every enforcement command (no cache: a kill is seen by the next call of any
/// process on any host sharing the store).

/// An operator's stop for an agent. Read on every enforcement call, never cached.
public struct KillMarker: Sendable, Equatable {
    public var agentID: String
    public var killedBy: String
    public var killedAt: Timestamp
    public var reason: String
    public var host: String
    public var osUser: String
    /// The operator's signature; a marker without a valid one is ignored.
    public var signed: SignedAction?

    public init(agentID: String, killedBy: String, killedAt: Timestamp, reason: String, host: String, osUser: String,
                signed: SignedAction? = nil) {
        self.agentID = agentID
        self.killedBy = killedBy
        self.killedAt = killedAt
        self.reason = reason
        self.host = host
        self.osUser = osUser
        self.signed = signed
    }

    /// Exit 15, saying who, when and why. Text from the store is quoted and bounded.
    public var error: GovernanceError {
        GovernanceError(.agentKilled,
                        "agent \(quoted(agentID)) was killed by \(quoted(killedBy)) at \(killedAt.iso8601) (host \(quoted(host)), user \(quoted(osUser))): \(quoted(reason, limit: 500))",
                        hint: "an operator must revive the agent (`governance presence revive AGENT`) before it may act again",
                        details: [("killed_by", .string(killedBy)), ("killed_at", .string(killedAt.iso8601)),
                                  ("reason", .string(reason)), ("host", .string(host)), ("os_user", .string(osUser))])
    }

    public var json: JSONValue {
        .object([("agent_id", .string(agentID)), ("killed_by", .string(killedBy)), ("killed_at", .string(killedAt.iso8601)),
                 ("reason", .string(reason)), ("host", .string(host)), ("os_user", .string(osUser))])
    }
}

/// The kill-marker table (governance_kill_markers).
public enum KillMarkers {
    static let columns = "agent_id, killed_by, killed_at_us, reason, host, os_user, document, signature"

    static func marker(_ row: SQLRow) throws -> KillMarker {
        let document = row.optionalText(6), signature = row.optionalText(7)
        return KillMarker(agentID: try row.text(0), killedBy: try row.text(1), killedAt: Timestamp(microseconds: try row.int(2)),
                          reason: try row.text(3), host: try row.text(4), osUser: try row.text(5),
                          signed: document.flatMap { d in signature.map { SignedAction(document: d, signature: $0) } })
    }

    /// The stored marker, signed or not (for the operator commands, which replace or remove it).
    public static func stored(_ db: SQLConnection, agentID: String) throws -> KillMarker? {
        try db.queryFirst("SELECT \(columns) FROM governance_kill_markers WHERE agent_id = ?", [.text(agentID)]).map(marker)
    }

    /// What the enforcement path reads: the marker when a registered operator signed it for this
    /// agent; a marker without a valid signature (written by hand) is ignored, and returned as
    /// `ignored` with the reason so that the path audits it.
    public static func read(_ db: SQLConnection, agentID: String) throws -> (marker: KillMarker?, ignored: SignedAction.Rejection?) {
        guard let marker = try stored(db, agentID: agentID) else { return (nil, nil) }
        switch try SignedAction.verify(db, document: marker.signed?.document, signature: marker.signed?.signature,
                                       expect: [("action", .string(EventKind.operatorKill)), ("agent_id", .string(agentID)),
                                                ("operator", .string(marker.killedBy)), ("reason", .string(marker.reason)),
                                                ("at", .string(marker.killedAt.iso8601))]) {
        case .success: return (marker, nil)
        case .failure(let why): return (nil, why)
        }
    }

    /// Sets (or replaces) the marker.
    public static func write(_ db: SQLConnection, _ marker: KillMarker) throws {
        try db.execute("""
            INSERT INTO governance_kill_markers (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (agent_id) DO UPDATE SET killed_by = excluded.killed_by, killed_at_us = excluded.killed_at_us,
                reason = excluded.reason, host = excluded.host, os_user = excluded.os_user, document = excluded.document,
                signature = excluded.signature
            """, [.text(marker.agentID), .text(marker.killedBy), .int(marker.killedAt.microseconds), .text(marker.reason),
                  .text(marker.host), .text(marker.osUser), .optional(marker.signed?.document), .optional(marker.signed?.signature)])
    }

    /// Removes the marker; false when there was none.
    @discardableResult
    public static func remove(_ db: SQLConnection, agentID: String) throws -> Bool {
        try db.execute("DELETE FROM governance_kill_markers WHERE agent_id = ?", [.text(agentID)]) > 0
    }

    /// Every marker whose signature verifies, by agent id, at most `limit` (for `presence list`).
    public static func all(_ db: SQLConnection, limit: Int) throws -> [KillMarker] {
        try db.query("SELECT \(columns) FROM governance_kill_markers ORDER BY agent_id LIMIT ?", [.int(Int64(limit))]).map(marker)
            .filter { try read(db, agentID: $0.agentID).marker != nil }
    }
}

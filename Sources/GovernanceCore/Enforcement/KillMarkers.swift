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

    public init(agentID: String, killedBy: String, killedAt: Timestamp, reason: String, host: String, osUser: String) {
        self.agentID = agentID
        self.killedBy = killedBy
        self.killedAt = killedAt
        self.reason = reason
        self.host = host
        self.osUser = osUser
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
    public static func read(_ db: SQLConnection, agentID: String) throws -> KillMarker? {
        guard let row = try db.queryFirst(
            "SELECT killed_by, killed_at_us, reason, host, os_user FROM governance_kill_markers WHERE agent_id = ?", [.text(agentID)]) else {
            return nil
        }
        return KillMarker(agentID: agentID, killedBy: try row.text(0), killedAt: Timestamp(microseconds: try row.int(1)),
                          reason: try row.text(2), host: try row.text(3), osUser: try row.text(4))
    }

    /// Sets (or replaces) the marker.
    public static func write(_ db: SQLConnection, _ marker: KillMarker) throws {
        try db.execute("""
            INSERT INTO governance_kill_markers (agent_id, killed_by, killed_at_us, reason, host, os_user) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (agent_id) DO UPDATE SET killed_by = excluded.killed_by, killed_at_us = excluded.killed_at_us,
                reason = excluded.reason, host = excluded.host, os_user = excluded.os_user
            """, [.text(marker.agentID), .text(marker.killedBy), .int(marker.killedAt.microseconds), .text(marker.reason),
                  .text(marker.host), .text(marker.osUser)])
    }

    /// Removes the marker; false when there was none.
    @discardableResult
    public static func remove(_ db: SQLConnection, agentID: String) throws -> Bool {
        try db.execute("DELETE FROM governance_kill_markers WHERE agent_id = ?", [.text(agentID)]) > 0
    }

    /// Every marker, by agent id, at most `limit` (for `presence list`).
    public static func all(_ db: SQLConnection, limit: Int) throws -> [KillMarker] {
        try db.query("SELECT agent_id, killed_by, killed_at_us, reason, host, os_user FROM governance_kill_markers ORDER BY agent_id LIMIT ?",
                     [.int(Int64(limit))]).map { row in
            KillMarker(agentID: try row.text(0), killedBy: try row.text(1), killedAt: Timestamp(microseconds: try row.int(2)),
                       reason: try row.text(3), host: try row.text(4), osUser: try row.text(5))
        }
    }
}

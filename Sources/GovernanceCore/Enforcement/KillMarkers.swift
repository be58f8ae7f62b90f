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

    /// The denial every enforcement command returns for a killed agent (exit 15). Text from the
    /// store is quoted and bounded.
    public var error: GovernanceError {
        GovernanceError(.agentKilled,
                        "agent \(quoted(agentID)) was killed by \(quoted(killedBy)) at \(killedAt.iso8601) (host \(quoted(host)), user \(quoted(osUser))): \(quoted(reason, limit: 500))",
                        hint: "an operator must revive the agent before it may act again",
                        details: [("killed_by", .string(killedBy)), ("killed_at", .string(killedAt.iso8601)),
                                  ("reason", .string(reason)), ("host", .string(host)), ("os_user", .string(osUser))])
    }
}

/// The kill-marker table (the operators issue adds the commands that write it).
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
}

/// The operator's side of the kill switch: kill and revive, each written with its audit event
/// (in the agent's own chain) in one transaction, so a marker never exists unaudited.
public enum OperatorKill {
    public static let maxReasonBytes = 1024

    /// Writes (or replaces) the agent's kill marker. The agent need not have sent a heartbeat.
    @discardableResult
    public static func kill(_ db: SQLConnection, keys: PurposeKeys, agentID: String, reason: String,
                            by identity: OperatorIdentity, at time: Timestamp = .now()) throws -> KillMarker {
        try Identifier.check(agentID, field: "agent")
        try checkReason(reason)
        let marker = KillMarker(agentID: agentID, killedBy: identity.name, killedAt: time, reason: reason,
                                host: identity.host, osUser: identity.osUser)
        try db.writeTransaction {
            let replaced = try KillMarkers.read(db, agentID: agentID) != nil
            try KillMarkers.write(db, marker)
            try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(
                sessionID: AgentChain.sessionID(for: agentID), agentID: agentID, kind: EventKind.operatorKill,
                metadata: .object(identity.auditFields + [("reason", .string(reason)), ("replaced", .bool(replaced))])), at: time)
        }
        return marker
    }

    /// Clears the marker; returns the one removed, nil when the agent was not killed (nothing is
    /// written then).
    @discardableResult
    public static func revive(_ db: SQLConnection, keys: PurposeKeys, agentID: String, by identity: OperatorIdentity,
                              at time: Timestamp = .now()) throws -> KillMarker? {
        try Identifier.check(agentID, field: "agent")
        return try db.writeTransaction {
            guard let marker = try KillMarkers.read(db, agentID: agentID) else { return nil }
            try KillMarkers.remove(db, agentID: agentID)
            try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(
                sessionID: AgentChain.sessionID(for: agentID), agentID: agentID, kind: EventKind.operatorRevive,
                metadata: .object(identity.auditFields + [("killed_by", .string(marker.killedBy)),
                                                          ("killed_at", .string(marker.killedAt.iso8601))])), at: time)
            return marker
        }
    }

    static func checkReason(_ reason: String) throws {
        guard !reason.isEmpty, reason.utf8.count <= maxReasonBytes else {
            throw GovernanceError.invalid("reason must be 1 to \(maxReasonBytes) bytes (got \(reason.utf8.count))")
        }
    }
}

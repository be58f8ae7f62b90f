/// The operator's side of the kill switch: kill and revive, each signed by a registered operator
/// and written with its audit event (in the agent's own chain) in one transaction, so a marker
/// never exists unaudited.
public enum OperatorKill {
    public static let maxReasonBytes = 1024

    /// Writes (or replaces) the agent's kill marker, signed. The agent need not have sent a heartbeat.
    @discardableResult
    public static func kill(_ db: SQLConnection, keys: PurposeKeys, agentID: String, reason: String, by credential: OperatorCredential,
                            identity: OperatorIdentity, at time: Timestamp = .now()) throws -> KillMarker {
        try Identifier.check(agentID, field: "agent")
        try checkReason(reason)
        let signed = try credential.sign(EventKind.operatorKill, agentID: agentID, fields: [("reason", .string(reason))], at: time)
        let marker = KillMarker(agentID: agentID, killedBy: credential.name, killedAt: time, reason: reason,
                                host: identity.host, osUser: identity.osUser, signed: signed)
        try db.writeTransaction {
            let replaced = try KillMarkers.stored(db, agentID: agentID) != nil
            try KillMarkers.write(db, marker)
            try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(
                sessionID: AgentChain.sessionID(for: agentID), agentID: agentID, kind: EventKind.operatorKill,
                metadata: .object(signed.auditFields + identity.hostFields + [("reason", .string(reason)), ("replaced", .bool(replaced))])), at: time)
        }
        return marker
    }

    /// Clears the marker, signed; returns the one removed, nil when the agent was not killed
    /// (nothing is written then).
    @discardableResult
    public static func revive(_ db: SQLConnection, keys: PurposeKeys, agentID: String, by credential: OperatorCredential,
                              identity: OperatorIdentity, at time: Timestamp = .now()) throws -> KillMarker? {
        try Identifier.check(agentID, field: "agent")
        return try db.writeTransaction {
            guard let marker = try KillMarkers.stored(db, agentID: agentID) else { return nil }
            let signed = try credential.sign(EventKind.operatorRevive, agentID: agentID,
                                             fields: [("killed_at", .string(marker.killedAt.iso8601))], at: time)
            try KillMarkers.remove(db, agentID: agentID)
            try AuditLog(db: db, keys: keys).appendOne(AuditEventInput(
                sessionID: AgentChain.sessionID(for: agentID), agentID: agentID, kind: EventKind.operatorRevive,
                metadata: .object(signed.auditFields + identity.hostFields + [("killed_by", .string(marker.killedBy)),
                                                                              ("killed_at", .string(marker.killedAt.iso8601))])), at: time)
            return marker
        }
    }

    /// Whether the store has ever heard of the agent: a presence row, a kill marker, a policy or
    /// any audit event of its own. Kill and revive refuse an unknown agent (a typo) unless forced.
    public static func isKnown(_ db: SQLConnection, agentID: String) throws -> Bool {
        try Identifier.check(agentID, field: "agent")
        for table in ["governance_presence", "governance_kill_markers", "governance_policies", "governance_audit_events"] {
            if try db.queryFirst("SELECT 1 FROM \(table) WHERE agent_id = ? LIMIT 1", [.text(agentID)]) != nil { return true }
        }
        return false
    }

    /// Agent ids the store knows from presence rows, kill markers and policies, at most `limit`
    /// of each, sorted: the candidates of a did-you-mean.
    public static func knownAgents(_ db: SQLConnection, limit: Int = 1000) throws -> [String] {
        var ids = Set<String>()
        for table in ["governance_presence", "governance_kill_markers", "governance_policies"] {
            for row in try db.query("SELECT agent_id FROM \(table) ORDER BY agent_id LIMIT ?", [.int(Int64(limit))]) {
                ids.insert(try row.text(0))
            }
        }
        return ids.sorted()
    }

    static func checkReason(_ reason: String) throws {
        guard !reason.isEmpty, reason.utf8.count <= maxReasonBytes else {
            throw GovernanceError.invalid("reason must be 1 to \(maxReasonBytes) bytes (got \(reason.utf8.count))")
        }
    }
}

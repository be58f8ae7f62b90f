extension Presence {
    /// `presence.unresponsive` as a chain effect: the sweep marks the row and audits the marking in
    /// one transaction, and the event marks it again (no change) when it enters the chain, so that
    /// replaying the chain (`db check`) gives the row the sweep left. It applies only while the row
    /// shows no later sign of life than the `last_seen` the sweep saw: a later heartbeat wins. (In
    /// a replay the row's last seen is that of the last audited transition, at or before it.)
    static func applyUnresponsive(_ events: [PendingEvent], db: SQLConnection) throws {
        for pending in events where pending.event.kind == EventKind.presenceUnresponsive {
            guard let seen = pending.event.metadata["last_seen"]?.stringValue.flatMap(Timestamp.init(parsing:)) else { continue }
            try db.execute("""
                UPDATE governance_presence SET status = 'unresponsive', status_changed_us = ?
                WHERE agent_id = ? AND last_seen_us <= ?
                """, [.int(pending.createdAt.microseconds), .text(pending.event.agentID), .int(seen.microseconds)])
        }
    }
}

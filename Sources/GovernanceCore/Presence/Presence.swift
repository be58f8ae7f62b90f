/// Who is alive. Liveness is state (the presence row's status, last seen time, operator and
/// metadata); the audit chain records its transitions. Agents report with heartbeat, idle and
/// close (kinds `presence.heartbeat`, `presence.idle`, `presence.close`, in the agent's own
/// chain): a report that changes the agent's status (or a heartbeat that binds another operator)
/// is appended, and the row changes in the same transaction as the append; a report that changes
/// nothing but the time (a heartbeat of a Live agent, an idle of an Idle one) moves the row's
/// last seen time and appends nothing. `sweep` audits the move to Unresponsive. A spooled event
/// replayed later by `audit flush` changes the row only when it is newer than what the row has
/// seen, so a late replay never moves an agent back in time.
public enum Presence {
    public enum Status: String, Sendable {
        case live, idle, unresponsive, killed

    }

    public enum Change: String, Sendable {
        case heartbeat, idle, close

        public var kind: String {
            switch self {
            case .heartbeat: EventKind.presenceHeartbeat
            case .idle: EventKind.presenceIdle
            case .close: EventKind.presenceClose
            }
        }

        init?(kind: String) {
            guard let change = [Change.heartbeat, .idle, .close].first(where: { $0.kind == kind }) else { return nil }
            self = change
        }
    }

    public static let defaultSweepTimeout: Int64 = 300

    /// The audit event for a presence change. Metadata: `operator` (or null) and the agent's own
    /// `metadata` object; the event's 64 KiB limit applies to both together.
    public static func event(_ change: Change, agentID: String, operator: String? = nil, metadata: JSONValue = .object([]),
                             at time: Timestamp = .now()) throws -> PendingEvent {
        if let op = `operator` { try Identifier.check(op, field: "operator") }
        guard case .object = metadata else { throw GovernanceError.invalid("metadata must be a JSON object") }
        var fields: [(String, JSONValue)] = []
        if change == .heartbeat { fields = [("operator", .optional(`operator`)), ("metadata", metadata)] }
        return try PendingEvent(validating: AuditEventInput(sessionID: AgentChain.sessionID(for: agentID), agentID: agentID,
                                                            kind: change.kind, metadata: .object(fields)), at: time)
    }

    /// Applies presence events to the presence table inside the caller's write transaction
    /// (the recorder's append, or a spool replay). Other kinds are ignored. Each applies only
    /// when it is not older than the row.
    public static func apply(_ events: [PendingEvent], db: SQLConnection) throws {
        for pending in events {
            guard let change = Change(kind: pending.event.kind) else { continue }
            let agent = pending.event.agentID, t = pending.createdAt.microseconds
            switch change {
            case .heartbeat:
                let fields = try JSONParser.parse(pending.metadata)
                let op = fields["operator"]?.stringValue
                let metadata = JSONWriter.canonical(fields["metadata"] ?? .object([]))
                try db.execute("""
                    INSERT INTO governance_presence (agent_id, operator, status, last_seen_us, status_changed_us, metadata)
                    VALUES (?, ?, 'live', ?, ?, ?)
                    ON CONFLICT (agent_id) DO UPDATE SET operator = COALESCE(excluded.operator, governance_presence.operator),
                        status = 'live', last_seen_us = excluded.last_seen_us,
                        status_changed_us = CASE WHEN governance_presence.status = 'live' THEN governance_presence.status_changed_us ELSE excluded.status_changed_us END,
                        metadata = excluded.metadata
                    WHERE governance_presence.last_seen_us <= excluded.last_seen_us
                    """, [.text(agent), .optional(op), .int(t), .int(t), .text(metadata)])
            case .idle:
                try db.execute("""
                    INSERT INTO governance_presence (agent_id, operator, status, last_seen_us, status_changed_us, metadata)
                    VALUES (?, NULL, 'idle', ?, ?, '{}')
                    ON CONFLICT (agent_id) DO UPDATE SET status = 'idle', last_seen_us = excluded.last_seen_us,
                        status_changed_us = excluded.status_changed_us
                    WHERE governance_presence.last_seen_us <= excluded.last_seen_us
                    """, [.text(agent), .int(t), .int(t)])
            case .close:
                try db.execute("DELETE FROM governance_presence WHERE agent_id = ? AND last_seen_us <= ?", [.text(agent), .int(t)])
            }
        }
    }

    /// Records a presence change through the recorder: a transition is appended with the row
    /// change in one transaction (`ChainEffects`); a report that changes nothing but the time is
    /// state only (`.stateOnly`, see `stateOnly`); when the store is unreachable the event is
    /// spooled, and appended when replayed.
    public static func record(_ event: PendingEvent, recorder: AuditRecorder) throws -> AuditRecorder.Outcome {
        try recorder.record([event], returningIDs: true, stateOnly: { try stateOnly(event, db: $0) })
    }

    /// Inside the append's write transaction, before it: takes a presence report as state alone
    /// and returns true when it changes nothing the chain records. That is a heartbeat of a Live
    /// agent that keeps its bound operator (last seen and metadata move), an idle of an Idle
    /// agent (last seen moves), and any report older than the row's last seen time (nothing
    /// moves). Otherwise returns false: a transition, to append. The agent's chain lock is taken
    /// first, the lock every presence transition holds before it changes the row (the append,
    /// the sweep), so of two racing reports exactly one is the transition. On PostgreSQL the
    /// row moves through `governance_presence_seen`, the one change to presence the agent role
    /// may make.
    public static func stateOnly(_ pending: PendingEvent, db: SQLConnection) throws -> Bool {
        guard let change = Change(kind: pending.event.kind) else { return false }
        let agent = pending.event.agentID, t = pending.createdAt.microseconds
        try db.lockChain(AgentChain.sessionID(for: agent).value)
        if change != .close {
            var op: String?, metadata: String?
            if change == .heartbeat {
                let fields = try JSONParser.parse(pending.metadata)
                op = fields["operator"]?.stringValue
                metadata = JSONWriter.canonical(fields["metadata"] ?? .object([]))
            }
            let status: Status = change == .heartbeat ? .live : .idle
            if db.dialect == .postgres {
                if try db.queryFirst("SELECT governance_presence_seen(?, ?, ?, ?, ?)",
                                     [.text(agent), .text(status.rawValue), .optional(op), .optional(metadata), .int(t)])?.text(0) == "t" {
                    return true
                }
            } else if try db.execute("""
                UPDATE governance_presence SET last_seen_us = ?, metadata = COALESCE(?, metadata)
                WHERE agent_id = ? AND status = ? AND last_seen_us <= ? AND (? IS NULL OR operator = ?)
                """, [.int(t), .optional(metadata), .text(agent), .text(status.rawValue), .int(t), .optional(op), .optional(op)]) == 1 {
                return true
            }
        }
        return try db.queryFirst("SELECT 1 FROM governance_presence WHERE agent_id = ? AND last_seen_us > ?", [.text(agent), .int(t)]) != nil
    }

    public struct Agent: Sendable, Equatable {
        public var agentID: String
        public var status: Status
        public var lastSeen: Timestamp?
        public var `operator`: String?
        public var metadataJSON: String?
        public var kill: KillMarker?
        /// The database login whose heartbeat or idle last set the row (PostgreSQL's `session_user`, stamped
        /// by the server); nil on SQLite.
        public var dbUser: String? = nil
        /// The agent's current (latest) run session: the session of its newest audit event outside
        /// its own chain; nil when it has logged only presence, kills and enforcement in its own chain.
        public var session: String? = nil

        public var json: JSONValue {
            .object([
                ("agent_id", .string(agentID)),
                ("status", .string(status.rawValue)),
                ("last_seen", lastSeen.map { .string($0.iso8601) } ?? .null),
                ("last_seen_unix", lastSeen.map { .int64($0.microseconds / 1_000_000) } ?? .null),
                ("session", .optional(session)),
                ("operator", .optional(`operator`)),
                ("metadata", metadataJSON.flatMap { try? JSONParser.parse($0) } ?? .null),
                ("kill", kill?.json ?? .null),
                ("db_user", .optional(dbUser)),
            ])
        }
    }

    /// The presence row and kill marker of one agent; nil when neither exists.
    public static func agent(_ db: SQLConnection, agentID: String) throws -> Agent? {
        let kill = try KillMarkers.read(db, agentID: agentID).marker
        let row = try db.queryFirst("SELECT agent_id, operator, status, last_seen_us, metadata, db_user FROM governance_presence WHERE agent_id = ?",
                                    [.text(agentID)])
        guard var found = try row.map({ try agent(from: $0, kill: kill) })
            ?? kill.map({ Agent(agentID: agentID, status: .killed, lastSeen: nil, operator: nil, metadataJSON: nil, kill: $0) }) else { return nil }
        return try addHistory(db, to: &found)
    }

    /// The agent's current session and, when its presence row is gone (a killed agent that
    /// closed), the time of its last presence event, so "last seen" is never lost.
    @discardableResult
    private static func addHistory(_ db: SQLConnection, to agent: inout Agent) throws -> Agent {
        let ownChain = AgentChain.sessionID(for: agent.agentID).value
        agent.session = try db.queryFirst("""
            SELECT session_id FROM governance_audit_events WHERE agent_id = ? AND session_id <> ?
            ORDER BY created_at_us DESC, id DESC LIMIT 1
            """, [.text(agent.agentID), .text(ownChain)])?.text(0)
        if agent.lastSeen == nil, let row = try db.queryFirst("""
            SELECT MAX(created_at_us) FROM governance_audit_events WHERE agent_id = ? AND kind IN (?, ?, ?)
            """, [.text(agent.agentID), .text(EventKind.presenceHeartbeat), .text(EventKind.presenceIdle), .text(EventKind.presenceClose)]),
           let us = try row.optionalInt(0) {
            agent.lastSeen = Timestamp(microseconds: us)
        }
        return agent
    }

    private static func agent(from row: SQLRow, kill: KillMarker?) throws -> Agent {
        let stored = Status(rawValue: try row.text(2)) ?? .unresponsive
        return Agent(agentID: try row.text(0), status: kill == nil ? stored : .killed, lastSeen: Timestamp(microseconds: try row.int(3)),
                     operator: row.optionalText(1), metadataJSON: row.optionalText(4), kill: kill, dbUser: row.optionalText(5))
    }

    /// Agents with a presence row or a kill marker (killed before any heartbeat), by id, at most
    /// `limit` of each kind.
    public static func list(_ db: SQLConnection, limit: Int) throws -> [Agent] {
        var kills: [String: KillMarker] = [:]
        for marker in try KillMarkers.all(db, limit: limit) { kills[marker.agentID] = marker }
        var agents: [Agent] = []
        for row in try db.query("SELECT agent_id, operator, status, last_seen_us, metadata, db_user FROM governance_presence ORDER BY agent_id LIMIT ?",
                                [.int(Int64(limit))]) {
            let id = try row.text(0)
            agents.append(try agent(from: row, kill: kills.removeValue(forKey: id)))
        }
        for (id, marker) in kills {
            agents.append(Agent(agentID: id, status: .killed, lastSeen: nil, operator: nil, metadataJSON: nil, kill: marker))
        }
        return try agents.sorted { $0.agentID < $1.agentID }.map { var a = $0; return try addHistory(db, to: &a) }
    }

    /// The operator an agent's heartbeat bound to it (self-approval prevention), if any.
    public static func boundOperator(_ db: SQLConnection, agentID: String) throws -> String? {
        try db.queryFirst("SELECT operator FROM governance_presence WHERE agent_id = ?", [.text(agentID)])?.optionalText(0)
    }

    public struct Swept: Sendable, Equatable {
        public var agentID: String
        public var lastSeen: Timestamp
        public var `operator`: String?
        /// Whole seconds between the last sign of life and the sweep.
        public var secondsSinceSeen: Int64 = 0

        public var json: JSONValue {
            .object([("agent_id", .string(agentID)), ("last_seen", .string(lastSeen.iso8601)),
                     ("last_seen_unix", .int64(lastSeen.microseconds / 1_000_000)), ("seconds_since_seen", .int64(secondsSinceSeen)),
                     ("operator", .optional(`operator`))])
        }
    }

    /// Agents with a presence row, not killed, silent for more than `seconds` at `time`: what
    /// `presence sweep --kill-after` kills, by id.
    public static func silent(_ db: SQLConnection, seconds: Int64, at time: Timestamp = .now(), limit: Int = 10_000) throws -> [Swept] {
        let cutoff = time.microseconds - seconds * 1_000_000
        return try db.query("""
            SELECT agent_id, last_seen_us, operator FROM governance_presence
            WHERE last_seen_us < ? AND agent_id NOT IN (SELECT agent_id FROM governance_kill_markers)
            ORDER BY agent_id LIMIT ?
            """, [.int(cutoff), .int(Int64(limit))]).map { row in
            let seen = Timestamp(microseconds: try row.int(1))
            return Swept(agentID: try row.text(0), lastSeen: seen, operator: row.optionalText(2),
                         secondsSinceSeen: (time.microseconds - seen.microseconds) / 1_000_000)
        }
    }

    /// Marks Live and Idle agents not seen for `timeout` seconds as Unresponsive; returns only the
    /// agents this sweep marked, by id. Each agent is marked under its chain lock (the lock a
    /// heartbeat holds while it decides) by one conditional UPDATE, so of two concurrent sweeps
    /// exactly one reports an agent, and a heartbeat racing the sweep either lands first (the agent
    /// is not marked) or sees Unresponsive and is audited as the move back to Live. Each marking
    /// is audited in the agent's chain in the same transaction; agents are taken `batch` at a time,
    /// one transaction each, so a transaction holds few locks.
    public static func sweep(_ db: SQLConnection, keys: PurposeKeys, timeout: Int64, by identity: OperatorIdentity,
                             at time: Timestamp = .now(), batch: Int = 100) throws -> [Swept] {
        let cutoff = time.microseconds - timeout * 1_000_000
        let log = AuditLog(db: db, keys: keys)
        var swept: [Swept] = []
        var after = ""
        while true {
            let candidates = try db.query("""
                SELECT agent_id FROM governance_presence WHERE status <> 'unresponsive' AND last_seen_us < ? AND agent_id > ?
                ORDER BY agent_id LIMIT ?
                """, [.int(cutoff), .text(after), .int(Int64(batch))]).map { try $0.text(0) }
            guard let last = candidates.last else { break }
            after = last
            swept += try db.writeTransaction {
                var marked: [Swept] = []
                for agent in candidates {
                    try db.lockChain(AgentChain.sessionID(for: agent).value)
                    guard let row = try db.queryFirst("""
                        UPDATE governance_presence SET status = 'unresponsive', status_changed_us = ?
                        WHERE agent_id = ? AND status <> 'unresponsive' AND last_seen_us < ?
                        RETURNING last_seen_us, operator
                        """, [.int(time.microseconds), .text(agent), .int(cutoff)]) else { continue }
                    let seen = Timestamp(microseconds: try row.int(0))
                    marked.append(Swept(agentID: agent, lastSeen: seen, operator: row.optionalText(1),
                                        secondsSinceSeen: (time.microseconds - seen.microseconds) / 1_000_000))
                    try log.appendOne(AuditEventInput(
                        sessionID: AgentChain.sessionID(for: agent), agentID: agent, kind: EventKind.presenceUnresponsive,
                        metadata: .object(identity.auditFields + [("last_seen", .string(seen.iso8601)), ("timeout_seconds", .int64(timeout))])),
                        at: time)
                }
                return marked
            }
        }
        return swept.sorted { $0.agentID < $1.agentID }
    }
}

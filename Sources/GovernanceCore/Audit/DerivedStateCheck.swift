/// `db check`: the state other tables derive from the audit chain (spend counters, presence rows,
/// kill markers, approval requests), recomputed from the chain and compared with what is stored.
/// The chain is read once, streaming, inside one snapshot (or, to repair, one write transaction
/// that holds the appends off). Spend and presence are recomputed by replaying every event through
/// `ChainEffects.apply`, the function every append runs, into an in-memory scratch store; kill and
/// gate state follow the latest operator-signed events. Memory holds aggregates (one row per
/// session, day, model and agent in the scratch store, one entry per approval request), never the
/// events themselves.
public struct DerivedStateCheck {
    public let db: SQLConnection
    public let keys: PurposeKeys
    /// Only this agent's derived state (the whole chain is still verified).
    public let agentID: String?

    public init(db: SQLConnection, keys: PurposeKeys, agentID: String? = nil) {
        self.db = db
        self.keys = keys
        self.agentID = agentID
    }

    /// What `--repair` does about one drift.
    enum Repair: Sendable {
        case update(column: String, value: SQLValue)
        case insert([(String, SQLValue)])
        case delete
    }

    /// One difference between a stored row and what the chain says.
    public struct Drift: Sendable {
        public var table: String
        /// The row's key columns and values (all text).
        public var key: [(String, String)]
        public var agentID: String
        /// A column, or `row` when the whole row is missing or should not exist.
        public var field: String
        public var expected: JSONValue
        public var stored: JSONValue
        var repair: Repair?
        /// Why `--repair` leaves it (repairing would loosen a control the chain cannot prove loosened).
        public var unrepairable: String?

        public var repairable: Bool { repair != nil }

        public var json: JSONValue {
            .object([("table", .string(table)), ("key", .object(key.map { ($0.0, .string($0.1)) })), ("agent_id", .string(agentID)),
                     ("field", .string(field)), ("expected", expected), ("stored", stored), ("repairable", .bool(repairable)),
                     ("unrepairable_reason", .optional(unrepairable))])
        }
    }

    public struct Report: Sendable {
        public var chain = VerificationReport()
        public var drifts: [Drift] = []
        /// Rows compared per table, and events replayed.
        public var checked: [(String, Int)] = []
        public var repaired = 0
        /// Set when `--repair` was asked for and refused (the chain does not verify).
        public var repairRefused: String?

        public var ok: Bool { chain.ok && drifts.isEmpty }

        public var json: JSONValue {
            .object([("ok", .bool(ok)), ("chain_verified", .bool(chain.ok)), ("chain_failures", .array(chain.failures.map(\.json))),
                     ("checked", .object(checked.map { ($0.0, .int($0.1)) })), ("drifts", .array(drifts.map(\.json))),
                     ("repaired", .int(repaired)), ("repair_refused", .optional(repairRefused))])
        }
    }

    /// Checks, and with `repair` (and a chain that verifies) rewrites every repairable drifted row
    /// to what the chain says, auditing each repair as `db.repaired` in the agent's own chain by
    /// `identity`, all in one write transaction.
    public func run(repair: Bool, identity: OperatorIdentity) throws -> Report {
        if let agentID { try Identifier.check(agentID, field: "agent") }
        guard repair else { return try db.readTransaction { try check() } }
        return try db.writeTransaction {
            if db.dialect == .postgres {
                // Appends and counter updates wait until the repair commits, so it cannot overwrite them.
                try db.execute("LOCK TABLE \(Self.lockedTables.joined(separator: ", ")) IN SHARE ROW EXCLUSIVE MODE")
            }
            var report = try check()
            guard report.chain.ok else {
                report.repairRefused = "the audit chain does not verify: derived state is not rebuilt from a chain that cannot be trusted"
                return report
            }
            try apply(&report, identity: identity)
            return report
        }
    }

    static let lockedTables = ["governance_audit_events", "governance_audit_sessions", "governance_cost_sessions", "governance_cost_daily",
                               "governance_cost_models", "governance_presence", "governance_kill_markers", "governance_gate_requests"]

    // MARK: the pass over the chain

    /// The latest operator-signed kill or revive in an agent's chain.
    struct KillState {
        var killed: Bool
        var marker: KillMarker?
        /// For a revive: the `killed_at` it names (signed).
        var revivedKilledAt: String?
    }

    /// What the chain says about one approval request.
    struct GateState {
        var requested: Requested?
        var decision: Decision?
        var consumedAt: Timestamp?

        struct Requested {
            var agentID: String
            var sessionID: String?
            var kind: String
            var actionHash: String
            var expiresAt: Int64
            var stepDigest: String?
        }

        struct Decision {
            var status: GateRequest.Status
            var by: String
            var at: Timestamp
            var reason: String?
            var osUser: String?
            var host: String?
            var signed: SignedAction
        }
    }

    func check() throws -> Report {
        var report = Report()
        let scratch = try SQLiteConnection(path: ":memory:", mode: .readWrite)
        try Migrations.migrate(scratch)
        var operators: [String: RegisteredOperator] = [:]
        for registered in try Operators.list(db, limit: Int.max) { operators[registered.name] = registered }
        let find: (String) -> RegisteredOperator? = { operators[$0] }
        var kills: [String: KillState] = [:]
        var gates: [String: GateState] = [:]
        var replayed = 0
        try scratch.beginWrite()
        do {
            report.chain = try ChainVerifier(db: db, keys: keys).verify(observe: { record in
                if let agentID, record.agentID != agentID { return }
                guard let metadata = try? JSONParser.parse(record.metadataJSON), let session = SessionID(record.sessionID) else { return }
                replayed += 1
                let pending = PendingEvent(AuditEventInput(sessionID: session, agentID: record.agentID, kind: record.kind, model: record.model,
                                                           inputHash: record.inputHash, outputHash: record.outputHash, metadata: metadata),
                                           metadata: record.metadataJSON, createdAt: record.createdAt)
                do {
                    try ChainEffects.apply([pending], db: scratch)
                } catch let error as GovernanceError {
                    report.drifts.append(Drift(table: "governance_audit_events", key: [("session_id", record.sessionID), ("seq", String(record.seq))],
                                               agentID: record.agentID, field: "effect", expected: .string("applicable"),
                                               stored: .string(error.message), repair: nil,
                                               unrepairable: "the event's effect cannot be applied; it was never counted"))
                }
                try observeSigned(record, metadata: metadata, find: find, kills: &kills, gates: &gates)
            })
            try scratch.commit()
        } catch {
            scratch.rollback()
            throw error
        }
        report.checked.append(("events", replayed))
        for spec in Self.replayedTables {
            report.checked.append((spec.table, try compare(spec, scratch: scratch, into: &report.drifts)))
        }
        report.checked.append(("governance_kill_markers", try compareKills(kills, find: find, into: &report.drifts)))
        report.checked.append(("governance_gate_requests", try compareGates(gates, into: &report.drifts)))
        return report
    }

    /// Kill, revive and gate events: kept only when a registered operator's signature verifies
    /// (or, for what the agent's own path writes, as far as the chain is trusted).
    private func observeSigned(_ record: AuditRecord, metadata: JSONValue, find: (String) -> RegisteredOperator?,
                               kills: inout [String: KillState], gates: inout [String: GateState]) throws {
        let kind = record.kind
        let at = record.createdAt
        func signed(_ extra: [(String, JSONValue)]) throws -> (SignedAction, [(String, JSONValue)])? {
            guard let document = metadata["operator_document"]?.stringValue, let signature = metadata["operator_signature"]?.stringValue,
                  case .success(let fields) = SignedAction.verify(
                      document: document, signature: signature, registered: find,
                      expect: [("action", .string(kind)), ("agent_id", .string(record.agentID)), ("at", .string(at.iso8601))] + extra)
            else { return nil }
            return (SignedAction(document: document, signature: signature), fields)
        }
        func field(_ fields: [(String, JSONValue)], _ name: String) -> JSONValue? { fields.first { $0.0 == name }?.1 }
        switch kind {
        case EventKind.operatorKill:
            guard let reason = metadata["reason"]?.stringValue, let (action, fields) = try signed([("reason", .string(reason))]),
                  let by = field(fields, "operator")?.stringValue else { return }
            kills[record.agentID] = KillState(killed: true, marker: KillMarker(
                agentID: record.agentID, killedBy: by, killedAt: at, reason: reason, host: metadata["host"]?.stringValue ?? "",
                osUser: metadata["os_user"]?.stringValue ?? "", signed: action))
        case EventKind.operatorRevive:
            guard let (_, fields) = try signed([]) else { return }
            kills[record.agentID] = KillState(killed: false, marker: nil, revivedKilledAt: field(fields, "killed_at")?.stringValue)
        case EventKind.gateRequested:
            guard let id = metadata["request_id"]?.stringValue, let gateKind = metadata["gate_kind"]?.stringValue,
                  let hash = metadata["action_hash"]?.stringValue,
                  let expires = metadata["expires_at"]?.stringValue.flatMap(Timestamp.init(parsing:)) else { return }
            let own = record.sessionID == AgentChain.sessionID(for: record.agentID).value
            gates[id, default: GateState()].requested = GateState.Requested(
                agentID: record.agentID, sessionID: own ? nil : record.sessionID, kind: gateKind, actionHash: hash,
                expiresAt: expires.microseconds, stepDigest: metadata["step_digest"]?.stringValue)
        case EventKind.gateGranted, EventKind.gateDenied, EventKind.gateCancelled:
            guard let id = metadata["request_id"]?.stringValue, gates[id]?.decision == nil,
                  let (action, fields) = try signed([("request_id", .string(id))]), let by = field(fields, "operator")?.stringValue else { return }
            let status: GateRequest.Status = kind == EventKind.gateGranted ? .granted : kind == EventKind.gateDenied ? .denied : .cancelled
            // Only the first signed decision can have been stored (the decision's UPDATE needs a pending row).
            gates[id, default: GateState()].decision = GateState.Decision(
                status: status, by: by, at: at, reason: field(fields, "reason")?.stringValue, osUser: metadata["os_user"]?.stringValue,
                host: metadata["host"]?.stringValue, signed: action)
        case EventKind.contractApprovalUsed:
            guard let id = metadata["request_id"]?.stringValue, gates[id]?.consumedAt == nil else { return }
            gates[id, default: GateState()].consumedAt = at
        default:
            return
        }
    }

    // MARK: replayed tables (spend and presence)

    enum ColumnType { case int, text }

    /// How a stored value may differ from the replay's.
    enum Bound {
        case equal
        /// Lower, not higher.
        case atMost
        /// Higher, not lower: presence's last seen time, which reports that change nothing else
        /// move without an event (`Presence.stateOnly`).
        case atLeast
    }

    /// A table that `ChainEffects` keeps: compared row by row with the scratch store's replay.
    struct ReplayedTable {
        var table: String
        var keys: [String]
        /// Compared columns, each within its bound of the replay's value.
        var compared: [(name: String, type: ColumnType, bound: Bound)]
        /// Written with a missing row, not compared.
        var uncompared: [(name: String, type: ColumnType)]
        /// Counters: a stored row the chain never touched must hold zeros (a budget check opens a
        /// session's row before any spend). Otherwise such a row should not exist.
        var zeroWhenAbsent: Bool
    }

    static let counters: [(String, ColumnType, Bound)] = [("usd_nanos", .int, .equal), ("tokens", .int, .equal), ("unpriced_calls", .int, .equal)]

    static let replayedTables = [
        ReplayedTable(table: "governance_cost_sessions", keys: ["agent_id", "session_id"],
                      compared: counters + [("started_at_us", .int, .atMost)], uncompared: [("updated_at_us", .int)], zeroWhenAbsent: true),
        ReplayedTable(table: "governance_cost_daily", keys: ["agent_id", "day"], compared: counters, uncompared: [], zeroWhenAbsent: true),
        ReplayedTable(table: "governance_cost_models", keys: ["agent_id", "model"],
                      compared: [("calls", .int, .equal), ("usd_nanos", .int, .equal), ("input_tokens", .int, .equal), ("output_tokens", .int, .equal),
                                 ("cached_input_tokens", .int, .equal), ("unpriced_calls", .int, .equal)],
                      uncompared: [], zeroWhenAbsent: true),
        ReplayedTable(table: "governance_presence", keys: ["agent_id"],
                      compared: [("operator", .text, .equal), ("status", .text, .equal), ("last_seen_us", .int, .atLeast),
                                 ("status_changed_us", .int, .equal)],
                      uncompared: [("metadata", .text)], zeroWhenAbsent: false),
    ]

    static func value(_ row: SQLRow, _ i: Int, _ type: ColumnType) throws -> SQLValue {
        switch type {
        case .int: return try row.optionalInt(i).map(SQLValue.int) ?? .null
        case .text: return .optional(row.optionalText(i))
        }
    }

    static func json(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .int(let v): .int64(v)
        case .text(let s): .string(s)
        }
    }

    /// Stored rows against the replay, then replayed rows missing from the store; returns the
    /// stored rows compared.
    private func compare(_ spec: ReplayedTable, scratch: SQLConnection, into drifts: inout [Drift]) throws -> Int {
        let columns = spec.compared.map(\.name)
        let keyWhere = spec.keys.map { "\($0) = ?" }.joined(separator: " AND ")
        let filter = agentID.map { _ in " WHERE agent_id = ?" } ?? ""
        let filterParameters: [SQLValue] = agentID.map { [.text($0)] } ?? []
        let select = (spec.keys + columns).joined(separator: ", ")
        var rows = 0
        try db.forEachRow("SELECT \(select) FROM \(spec.table)\(filter) ORDER BY \(spec.keys.joined(separator: ", "))", filterParameters) { row in
            rows += 1
            let key = try spec.keys.indices.map { (spec.keys[$0], try row.text($0)) }
            let agent = key[0].1
            let stored = try spec.compared.enumerated().map { try Self.value(row, spec.keys.count + $0.offset, $0.element.type) }
            let replayed = try scratch.queryFirst("SELECT \(columns.joined(separator: ", ")) FROM \(spec.table) WHERE \(keyWhere)",
                                                  key.map { .text($0.1) })
            guard let replayed else {
                if spec.zeroWhenAbsent {
                    for (i, column) in spec.compared.enumerated() where column.bound == .equal && stored[i] != .int(0) {
                        drifts.append(Drift(table: spec.table, key: key, agentID: agent, field: column.name, expected: .int(0),
                                            stored: Self.json(stored[i]), repair: .update(column: column.name, value: .int(0))))
                    }
                } else {
                    let fields = zip(columns, stored).map { ($0.0, Self.json($0.1)) }
                    drifts.append(Drift(table: spec.table, key: key, agentID: agent, field: "row", expected: .null,
                                        stored: .object(fields), repair: .delete))
                }
                return
            }
            for (i, column) in spec.compared.enumerated() {
                let expected = try Self.value(replayed, i, column.type)
                let drifted: Bool
                switch (column.bound, expected, stored[i]) {
                case (.atMost, .int(let e), .int(let s)): drifted = s > e
                case (.atLeast, .int(let e), .int(let s)): drifted = s < e
                default: drifted = stored[i] != expected
                }
                guard drifted else { continue }
                drifts.append(Drift(table: spec.table, key: key, agentID: agent, field: column.name, expected: Self.json(expected),
                                    stored: Self.json(stored[i]), repair: .update(column: column.name, value: expected)))
            }
        }
        let all = spec.compared.map { ($0.name, $0.type) } + spec.uncompared
        let keyCount = spec.keys.count
        try scratch.forEachRow("SELECT \((spec.keys + all.map(\.0)).joined(separator: ", ")) FROM \(spec.table)\(filter)", filterParameters) { row in
            let key = try spec.keys.indices.map { (spec.keys[$0], try row.text($0)) }
            guard try db.queryFirst("SELECT 1 FROM \(spec.table) WHERE \(keyWhere)", key.map { .text($0.1) }) == nil else { return }
            let values = try all.enumerated().map { ($0.element.0, try Self.value(row, keyCount + $0.offset, $0.element.1)) }
            drifts.append(Drift(table: spec.table, key: key, agentID: key[0].1, field: "row",
                                expected: .object(values.prefix(spec.compared.count).map { ($0.0, Self.json($0.1)) }), stored: .null,
                                repair: .insert(key.map { ($0.0, .text($0.1)) } + values)))
        }
        return rows
    }

    // MARK: kill markers

    /// A marker's columns besides its agent, as stored.
    static func markerValues(_ m: KillMarker) -> [(String, SQLValue)] {
        [("killed_by", .text(m.killedBy)), ("killed_at_us", .int(m.killedAt.microseconds)), ("reason", .text(m.reason)),
         ("host", .text(m.host)), ("os_user", .text(m.osUser)), ("document", .optional(m.signed?.document)),
         ("signature", .optional(m.signed?.signature))]
    }

    private func compareKills(_ kills: [String: KillState], find: (String) -> RegisteredOperator?, into drifts: inout [Drift]) throws -> Int {
        let filter = agentID.map { _ in " WHERE agent_id = ?" } ?? ""
        let stored = try db.query("SELECT \(KillMarkers.columns) FROM governance_kill_markers\(filter) ORDER BY agent_id",
                                  agentID.map { [.text($0)] } ?? []).map(KillMarkers.marker)
        var seen = Set<String>()
        func drift(_ agent: String, _ field: String, _ expected: JSONValue, _ stored: JSONValue, _ repair: Repair?, _ why: String? = nil) {
            drifts.append(Drift(table: "governance_kill_markers", key: [("agent_id", agent)], agentID: agent, field: field,
                                expected: expected, stored: stored, repair: repair, unrepairable: why))
        }
        for marker in stored {
            seen.insert(marker.agentID)
            let state = kills[marker.agentID]
            if let expected = state?.marker, state?.killed == true {
                for ((name, want), (_, have)) in zip(Self.markerValues(expected), Self.markerValues(marker)) where want != have {
                    drift(marker.agentID, name, Self.json(want), Self.json(have), .update(column: name, value: want))
                }
                continue
            }
            // The chain says the agent is not killed. A marker no operator signed is already ignored
            // by the enforcement path; a signed one is removed only when a signed revive names it.
            let verifies: Bool
            verifies = SignedAction.verify(
                document: marker.signed?.document, signature: marker.signed?.signature, registered: find,
                expect: [("action", .string(EventKind.operatorKill)), ("agent_id", .string(marker.agentID)),
                         ("operator", .string(marker.killedBy)), ("reason", .string(marker.reason)), ("at", .string(marker.killedAt.iso8601))])
                .isSuccess
            let revived = state?.revivedKilledAt == marker.killedAt.iso8601
            drift(marker.agentID, "row", .null, marker.json, verifies && !revived ? nil : .delete,
                  verifies && !revived ? "a marker signed by an operator that the chain does not show revived: an operator must revive the agent" : nil)
        }
        for (agent, state) in kills.sorted(by: { $0.key < $1.key }) where state.killed && !seen.contains(agent) {
            guard let marker = state.marker else { continue }
            drift(agent, "row", marker.json, .null, .insert([("agent_id", .text(agent))] + Self.markerValues(marker)))
        }
        return stored.count
    }

    // MARK: approval requests

    private func compareGates(_ gates: [String: GateState], into drifts: inout [Drift]) throws -> Int {
        let filter = agentID.map { _ in " WHERE agent_id = ?" } ?? ""
        var rows = 0
        var seen = Set<String>()
        try db.forEachRow("SELECT \(Gates.columns), consumed_at_us FROM governance_gate_requests\(filter) ORDER BY request_id",
                          agentID.map { [.text($0)] } ?? []) { row in
            rows += 1
            let request = try Gates.request(from: row)
            let consumed = try row.optionalInt(21)
            let id = request.requestID
            seen.insert(id)
            func drift(_ field: String, _ expected: SQLValue, _ stored: SQLValue, repair: Bool = true, _ why: String? = nil) {
                drifts.append(Drift(table: "governance_gate_requests", key: [("request_id", id)], agentID: request.agentID, field: field,
                                    expected: Self.json(expected), stored: Self.json(stored),
                                    repair: repair ? .update(column: field, value: expected) : nil, unrepairable: why))
            }
            let state = gates[id]
            guard let asked = state?.requested else {
                drifts.append(Drift(table: "governance_gate_requests", key: [("request_id", id)], agentID: request.agentID, field: "row",
                                    expected: .null, stored: request.json(), repair: .delete))
                return
            }
            let expectedRow: [(String, SQLValue, SQLValue)] = [
                ("agent_id", .text(asked.agentID), .text(request.agentID)), ("session_id", .optional(asked.sessionID), .optional(request.sessionID)),
                ("kind", .text(asked.kind), .text(request.kind)), ("action_hash", .text(asked.actionHash), .text(request.actionHash)),
                ("expires_at_us", .int(asked.expiresAt), .int(request.expiresAt.microseconds)),
                ("step_digest", .optional(asked.stepDigest), .optional(request.stepDigest)),
            ]
            for (field, expected, stored) in expectedRow where expected != stored { drift(field, expected, stored) }
            let decision = state?.decision
            let decided: [(String, SQLValue, SQLValue)] = [
                ("status", .text((decision?.status ?? .pending).rawValue), .text(request.status.rawValue)),
                ("decided_by", .optional(decision?.by), .optional(request.decidedBy)),
                ("decided_at_us", decision.map { .int($0.at.microseconds) } ?? .null, request.decidedAt.map { .int($0.microseconds) } ?? .null),
                ("reason", .optional(decision?.reason), .optional(request.reason)),
                ("decided_os_user", .optional(decision?.osUser), .optional(request.decidedOSUser)),
                ("decided_host", .optional(decision?.host), .optional(request.decidedHost)),
                ("decision_document", .optional(decision?.signed.document), .optional(request.decision?.document)),
                ("decision_signature", .optional(decision?.signed.signature), .optional(request.decision?.signature)),
            ]
            for (field, expected, stored) in decided where expected != stored { drift(field, expected, stored) }
            switch (state?.consumedAt, consumed) {
            case (let used?, nil):
                drift("consumed_at_us", .int(used.microseconds), .null)
            case (nil, let stored?):
                drift("consumed_at_us", .null, .int(stored), repair: false,
                      "the chain shows no use of this approval; clearing the mark would make it usable again")
            default:
                break
            }
        }
        for (id, state) in gates.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            guard let asked = state.requested, agentID == nil || asked.agentID == agentID else { continue }
            drifts.append(Drift(table: "governance_gate_requests", key: [("request_id", id)], agentID: asked.agentID, field: "row",
                                expected: .string("present"), stored: .null, repair: nil,
                                unrepairable: "the chain does not hold the request's payload and token hash; ask for a new approval"))
        }
        return rows
    }

    // MARK: repair

    private func apply(_ report: inout Report, identity: OperatorIdentity) throws {
        let log = AuditLog(db: db, keys: keys)
        let now = Timestamp.now()
        for drift in report.drifts {
            guard let repair = drift.repair else { continue }
            let keyWhere = drift.key.map { "\($0.0) = ?" }.joined(separator: " AND ")
            let keyValues = drift.key.map { SQLValue.text($0.1) }
            switch repair {
            case .update(let column, let value):
                try db.execute("UPDATE \(drift.table) SET \(column) = ? WHERE \(keyWhere)", [value] + keyValues)
            case .insert(let values):
                try db.execute("INSERT INTO \(drift.table) (\(values.map(\.0).joined(separator: ", "))) VALUES (\(values.map { _ in "?" }.joined(separator: ", ")))",
                               values.map(\.1))
            case .delete:
                try db.execute("DELETE FROM \(drift.table) WHERE \(keyWhere)", keyValues)
            }
            try log.appendOne(AuditEventInput(
                sessionID: AgentChain.sessionID(for: drift.agentID), agentID: drift.agentID, kind: EventKind.dbRepaired,
                metadata: .object(identity.auditFields + [("table", .string(drift.table)), ("key", .object(drift.key.map { ($0.0, .string($0.1)) })),
                                                          ("field", .string(drift.field)), ("expected", Self.audited(drift.expected)),
                                                          ("stored", Self.audited(drift.stored))])),
                at: now)
            report.repaired += 1
        }
    }

    /// A value as the repair's audit event records it: whole when small, else its SHA-256 (a whole
    /// row can be as large as an event may be).
    static func audited(_ value: JSONValue) -> JSONValue {
        let text = JSONWriter.canonical(value)
        return text.utf8.count <= 4096 ? value : .object([("sha256", .string(Digest.sha256Hex(text)))])
    }
}

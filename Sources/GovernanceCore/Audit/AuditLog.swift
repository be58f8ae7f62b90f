/// Appends links to session chains. Each append reads the session's last `(seq, hmac)` and inserts
/// the next row in one write transaction under the chain lock, so concurrent writers on any number
/// of processes or hosts produce one contiguous chain.
public struct AuditLog {
    public let db: SQLConnection
    public let key: HMACKey
    /// For replaying the spool, whose lines are authenticated with the spool key.
    public let spoolKey: HMACKey

    public init(db: SQLConnection, keys: PurposeKeys) {
        self.db = db
        self.key = HMACKey(key: keys.chainKey)
        self.spoolKey = HMACKey(key: keys.spoolKey)
    }

    /// The SELECT list of a stored row, in `AuditRecord.storedFields` order.
    static let columns = AuditRecord.storedFields.map(\.column).joined(separator: ", ")
    /// What an append writes: every stored field but the id, which the store assigns.
    static let insertColumns = AuditRecord.storedFields.dropFirst().map(\.column)

    static let columnNames = ["id", "session_id", "seq", "agent_id", "kind", "model", "input_hash", "output_hash",
                              "metadata", "created_at_us", "prev_hash", "hmac"]

    /// A stored row; a row whose columns do not hold what the schema says (edited by hand) is an
    /// integrity failure (exit 20), not a bug.
    static func record(from row: SQLRow) throws -> AuditRecord {
        switch decode(row) {
        case .success(let record): return record
        case .failure(let bad): throw bad.error
        }
    }

    static func decode(_ row: SQLRow) -> Result<AuditRecord, MalformedRow> {
        var d = RowDecoder(row: row)
        let record = AuditRecord(id: d.int(0), sessionID: d.text(1), seq: d.int(2), agentID: d.text(3), kind: d.text(4),
                                 model: d.optionalText(5), inputHash: d.optionalText(6), outputHash: d.optionalText(7),
                                 metadataJSON: d.text(8), createdAt: Timestamp(microseconds: d.int(9)),
                                 prevHash: d.text(10), hmac: d.text(11))
        guard let problem = d.problem else { return .success(record) }
        return .failure(MalformedRow(id: d.valid(0) ? record.id : nil, sessionID: d.valid(1) ? record.sessionID : nil,
                                     seq: d.valid(2) ? record.seq : nil, detail: problem))
    }

    /// Listeners (`audit tail --follow`) are woken on this channel after each append commits.
    public static let changeChannel = "governance_audit"
    /// Events per write transaction in a batch: large enough to amortise the commit, small enough
    /// that a crash loses little work and other writers are not held up for long.
    public static let eventsPerTransaction = 1_000
    static let columnsPerRow = insertColumns.count
    static let insertPrefix = "INSERT INTO governance_audit_events (\(insertColumns.joined(separator: ", "))) VALUES "
    static let rowPlaceholders = "(" + Array(repeating: "?", count: columnsPerRow).joined(separator: ", ") + ")"

    /// Validates and appends one event; returns the stored record.
    @discardableResult
    public func append(_ event: AuditEventInput, at time: Timestamp? = nil) throws -> AuditRecord {
        let metadata = try event.validated()
        let appendID = try Self.newAppendID()
        return try db.writeTransaction {
            try appendInTransaction([PendingEvent(event, metadata: metadata, createdAt: time ?? .now())], returningIDs: true,
                                    appendID: appendID)[0]
        }
    }

    /// Appends validated events in order, `eventsPerTransaction` to a transaction; returns each
    /// session's last seq. `progress` is told how many events are in after each transaction.
    @discardableResult
    public func append(batch events: [PendingEvent], progress: ((Int) -> Void)? = nil) throws -> [String: Int64] {
        var lastSeq: [String: Int64] = [:]
        var done = 0
        var start = 0
        while start < events.count {
            let chunk = Array(events[start..<min(start + Self.eventsPerTransaction, events.count)])
            let appendID = try Self.newAppendID()
            let records = try db.writeTransaction { try appendInTransaction(chunk, returningIDs: false, appendID: appendID) }
            for r in records { lastSeq[r.sessionID] = r.seq }
            start += chunk.count
            done += chunk.count
            progress?(done)
        }
        return lastSeq
    }

    /// An idempotency key for one append transaction, made before its first attempt.
    public static func newAppendID() throws -> String { try SessionID.random().value }

    /// True when the append transaction `appendID` committed. Call it inside a write transaction
    /// after `lockChains` for the append's sessions: an append whose COMMIT is still in flight on
    /// another connection holds those locks until it is decided.
    public func appendCommitted(_ appendID: String) throws -> Bool {
        try db.queryFirst("SELECT 1 FROM governance_audit_appends WHERE append_id = ?", [.text(appendID)]) != nil
    }

    /// Locks the chains of `sessions` in sorted order, so that two writers never wait on each
    /// other's locks.
    public func lockChains(_ sessions: Set<String>) throws {
        try db.lockChains(sessions.sorted())
    }

    /// Sessions to a statement when reading heads or writing the head table.
    static let sessionsPerStatement = 50

    /// The last link of each of `sessions` (seq 0 and the genesis hash for a new chain), read
    /// from the events themselves, each with the (session_id, seq) index: the head table is a
    /// cross-check for verification, not the source. One statement for up to 50 sessions; each
    /// row says which lookup it answers, so the session text the store returns is not relied on.
    func heads(of sessions: [String]) throws -> [(seq: Int64, hmac: String)] {
        var heads = [(seq: Int64, hmac: String)](repeating: (0, ChainCodec.genesisHash), count: sessions.count)
        var start = 0
        while start < sessions.count {
            let end = min(start + Self.sessionsPerStatement, sessions.count)
            let sql = (start..<end).map { i in
                "SELECT \(i) AS lookup, seq, hmac FROM (SELECT seq, hmac FROM governance_audit_events WHERE session_id = ? ORDER BY seq DESC LIMIT 1) AS head\(i - start)"
            }.joined(separator: " UNION ALL ")
            try db.forEachRow(sql, sessions[start..<end].map(SQLValue.text)) { row in
                let i = Int(try row.int(0)), seq = try row.int(1), hmac = try row.text(2)
                guard i >= start, i < end else { throw GovernanceError.internalError("a chain head answered lookup \(i) of \(start)..<\(end)") }
                // A head edited by hand must stop the append, not be chained onto or overflow it.
                guard seq >= 1, seq < Int64.max, Hex.isLowercaseHex(hmac, length: 64) else {
                    throw GovernanceError(.integrityFailure,
                                          "the last stored link of session \(TerminalText.escaped(sessions[i])) is malformed (seq \(seq), hmac \(quoted(String(hmac.prefix(64))))): nothing was appended",
                                          hint: "the store was edited by hand; run `governance audit verify --session \(TerminalText.escaped(sessions[i]))`")
                }
                heads[i] = (seq, hmac)
            }
            start = end
        }
        return heads
    }

    /// Writes where each chain now ends to the head table, up to 50 sessions to a statement.
    /// The sessions must be distinct: PostgreSQL refuses an upsert that touches a row twice.
    private func recordHeads(_ sessions: [String], _ heads: [(seq: Int64, hmac: String)]) throws {
        precondition(Set(sessions).count == sessions.count, "recordHeads needs distinct sessions")
        let now = Timestamp.now().microseconds
        var start = 0
        while start < sessions.count {
            let end = min(start + Self.sessionsPerStatement, sessions.count)
            var parameters: [SQLValue] = []
            for i in start..<end {
                parameters += [.text(sessions[i]), .int(heads[i].seq), .text(heads[i].hmac), .int(now), .int(now)]
            }
            try db.execute("""
                INSERT INTO governance_audit_sessions (session_id, last_seq, last_hmac, first_at_us, last_at_us)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?)", count: end - start).joined(separator: ", "))
                ON CONFLICT (session_id) DO UPDATE SET last_seq = excluded.last_seq, last_hmac = excluded.last_hmac,
                    last_at_us = excluded.last_at_us
                """, parameters)
            start = end
        }
    }

    /// Appends events inside the caller's write transaction, in order; events may belong to
    /// several sessions. Each session's chain is locked once, in sorted order so that two
    /// writers never wait on each other's locks. `appendID`, the transaction's idempotency key, is
    /// stored in the same transaction, so a replay of an append whose COMMIT reply was lost can
    /// tell that it did commit.
    public func appendInTransaction(_ events: [PendingEvent], returningIDs: Bool, appendID: String? = nil) throws -> [AuditRecord] {
        if let appendID {
            try db.execute("INSERT INTO governance_audit_appends (append_id, committed_at_us) VALUES (?, ?)",
                           [.text(appendID), .int(Timestamp.now().microseconds)])
        }
        // On PostgreSQL the server applies the effects and the heads from the inserted rows (a
        // trigger: RolesSchema), so a role that may only append never writes derived state.
        let derivedHere = db.dialect == .sqlite
        if derivedHere { try ChainEffects.apply(events, db: db) }
        // Each event's chain by number, so that the loop below indexes an array instead of
        // hashing a session id per event.
        var sessions: [String] = []  // in order of first appearance
        var numbers: [String: Int] = [:]
        var chainOf: [Int] = []
        chainOf.reserveCapacity(events.count)
        for pending in events {
            let session = pending.event.sessionID.value
            if let n = numbers[session] {
                chainOf.append(n)
            } else {
                numbers[session] = sessions.count
                chainOf.append(sessions.count)
                sessions.append(session)
            }
        }
        // Locked in sorted order, so that two writers never wait on each other's locks.
        try db.lockChains(sessions.sorted())
        var heads = try self.heads(of: sessions)
        var records: [AuditRecord] = []
        records.reserveCapacity(events.count)
        for (i, pending) in events.enumerated() {
            try pending.createdAt.checkChainRange()
            let n = chainOf[i]
            let head = heads[n], session = sessions[n]
            let seq = head.seq + 1
            let hmac = ChainCodec.finishMAC(pending.chainMAC(for: key), prevHash: head.hmac, seq: seq, sessionID: session, key: key)
            heads[n] = (seq, hmac)
            records.append(AuditRecord(id: 0, sessionID: session, seq: seq, agentID: pending.event.agentID, kind: pending.event.kind,
                                       model: pending.event.model, inputHash: pending.event.inputHash, outputHash: pending.event.outputHash,
                                       metadataJSON: pending.metadata, createdAt: pending.createdAt, prevHash: head.hmac, hmac: hmac))
        }
        try insert(&records, returningIDs: returningIDs)
        // The head table remembers where each chain ends, so verification can tell a chain cut
        // short from one that was never longer.
        if derivedHere { try recordHeads(sessions, heads) }
        try db.notify(Self.changeChannel)
        return records
    }

    /// The INSERT of `rows` rows.
    static func insertStatement(rows: Int) -> String {
        insertPrefix + Array(repeating: rowPlaceholders, count: rows).joined(separator: ", ")
    }

    /// Multi-row INSERTs, as many rows to a statement as the driver allows (up to 500).
    private func insert(_ records: inout [AuditRecord], returningIDs: Bool) throws {
        let perStatement = min(500, db.maxParameters / Self.columnsPerRow)
        // A batch's statements are all full but the last: their text is made once.
        let fullRows = min(perStatement, records.count)
        let full = Self.insertStatement(rows: fullRows)
        var start = 0
        while start < records.count {
            let end = min(start + perStatement, records.count)
            let sql = end - start == fullRows ? full : Self.insertStatement(rows: end - start)
            var parameters: [SQLValue] = []
            parameters.reserveCapacity((end - start) * Self.columnsPerRow)
            for i in start..<end {
                // In `insertColumns` order.
                parameters.append(.text(records[i].sessionID))
                parameters.append(.int(records[i].seq))
                parameters.append(.text(records[i].agentID))
                parameters.append(.text(records[i].kind))
                parameters.append(.optional(records[i].model))
                parameters.append(.optional(records[i].inputHash))
                parameters.append(.optional(records[i].outputHash))
                parameters.append(.text(records[i].metadataJSON))
                parameters.append(.int(records[i].createdAt.microseconds))
                parameters.append(.text(records[i].prevHash))
                parameters.append(.text(records[i].hmac))
            }
            if returningIDs {
                var i = start
                try db.forEachRow(sql + " RETURNING id", parameters) { row in
                    records[i].id = try row.int(0)
                    i += 1
                }
            } else {
                try db.execute(sql, parameters)
            }
            start = end
        }
    }
}

/// A validated event waiting to be appended: its canonical metadata and the time it happened.
public struct PendingEvent: Sendable {
    public var event: AuditEventInput { didSet { begunMAC = nil } }
    public var metadata: String { didSet { begunMAC = nil } }
    public var createdAt: Timestamp { didSet { begunMAC = nil } }
    /// The link's MAC with every field known before the append hashed (`beginChainMAC`); any
    /// change to the event forgets it.
    private var begunMAC: PartialMAC?

    public init(_ event: AuditEventInput, metadata: String, createdAt: Timestamp) {
        self.event = event
        self.metadata = metadata
        self.createdAt = createdAt
    }

    /// Validates `event` now.
    public init(validating event: AuditEventInput, at time: Timestamp = .now()) throws {
        try time.checkChainRange()
        self.init(event, metadata: try event.validated(), createdAt: time)
        // What the event will do when it enters the chain must be valid now, not fail its append.
        try ChainEffects.validate(self)
    }

    /// Hashes the part of the link's MAC that does not depend on the chain's head, so that the
    /// append only hashes the rest: `audit log --batch` does this on its parsing thread, which
    /// takes about a third of the hashing off the appending thread.
    public mutating func beginChainMAC(key: HMACKey) {
        begunMAC = ChainCodec.beginMAC(self, key: key)
    }

    /// The begun MAC if it was begun with `key`, else one begun now.
    func chainMAC(for key: HMACKey) -> PartialMAC {
        if let begunMAC, begunMAC.key == key.fingerprint { return begunMAC }
        return ChainCodec.beginMAC(self, key: key)
    }
}

/// A stored row whose columns cannot be read as an audit record.
public struct MalformedRow: Error, Sendable {
    public var id: Int64?
    public var sessionID: String?
    public var seq: Int64?
    /// Which column and what it holds (escaped).
    public var detail: String

    var error: GovernanceError {
        GovernanceError(.integrityFailure, "a stored audit row is malformed (row id \(id.map(String.init) ?? "unreadable"), session \(sessionID.map(TerminalText.escaped) ?? "unreadable")): \(detail)",
                        hint: "the store was edited by hand; run `governance audit verify` to see every affected session")
    }
}

/// Reads the columns of an audit row, noting the first that does not hold its type.
private struct RowDecoder {
    let row: SQLRow
    var problem: String?
    var bad: Set<Int> = []

    func valid(_ i: Int) -> Bool { !bad.contains(i) }

    private mutating func fail(_ i: Int, _ what: String) {
        bad.insert(i)
        if problem == nil { problem = "column \(AuditLog.columnNames[i]) \(what)" }
    }

    mutating func int(_ i: Int) -> Int64 {
        switch row.values[i] {
        case .int(let v): return v
        case .text(let s):
            if let v = Int64(s) { return v }
            fail(i, "holds \"\(TerminalText.escaped(String(s.prefix(64))))\", not an integer")
        case .null: fail(i, "is NULL")
        }
        return 0
    }

    mutating func text(_ i: Int) -> String {
        switch row.values[i] {
        case .text(let s): return s
        case .int(let v): return String(v)
        case .null: fail(i, "is NULL"); return ""
        }
    }

    func optionalText(_ i: Int) -> String? { row.optionalText(i) }
}

/// Why a chain failed verification.
public enum ChainFailureReason: String, Sendable {
    /// The recomputed HMAC differs: a field of this row was changed.
    case hmacMismatch = "hmac_mismatch"
    /// `prev_hash` is not the HMAC of the row before.
    case brokenLink = "broken_link"
    /// One or more seq numbers are missing.
    case gap = "gap"
    /// The same seq appears twice: a fork.
    case duplicate = "duplicate"
    /// The chain ends before the last seq the session head recorded.
    case truncated = "truncated"
    /// The session head disagrees with the last row, or is missing.
    case headMismatch = "head_mismatch"
    /// `created_at` is outside the years 0001-9999 the format can write (docs/CHAIN.md).
    case timeOutOfRange = "time_out_of_range"
    /// A column holds the wrong type or NULL (the row was edited by hand); it explains any other
    /// failure of its session, so it is the one reported.
    case malformedRow = "malformed_row"
}

public struct ChainFailure: Sendable, Equatable {
    public var sessionID: String
    /// The first bad seq.
    public var seq: Int64
    public var reason: ChainFailureReason
    public var detail: String

    public var json: JSONValue {
        .object([("session_id", .string(sessionID)), ("seq", .int64(seq)),
                 ("reason", .string(reason.rawValue)), ("detail", .string(detail))])
    }
}

/// Checks one session's links as they stream past in seq order; keeps only the first failure.
public struct ChainCheck {
    public let sessionID: String
    private let key: HMACKey
    public private(set) var expectedSeq: Int64
    public private(set) var previousHash: String
    public private(set) var failure: ChainFailure?
    public private(set) var rowsVerified = 0
    private var scratch: [UInt8] = []

    /// `anchor` is the HMAC of the row before `startSeq` (the genesis hash for seq 1).
    public init(sessionID: String, key: HMACKey, startSeq: Int64 = 1, anchor: String = ChainCodec.genesisHash) {
        self.sessionID = sessionID
        self.key = key
        self.expectedSeq = startSeq
        self.previousHash = anchor
    }

    /// Checks the next row; returns false once the chain has failed. `macMatches`: whether the
    /// row's stored hmac is the MAC of its contents, when another thread already computed it
    /// with this check's key (a row's MAC depends on the row alone, its link on the rows before).
    @discardableResult
    public mutating func check(_ r: AuditRecord, macMatches: Bool? = nil) -> Bool {
        guard failure == nil else { return false }
        if r.seq < expectedSeq {
            fail(r.seq, .duplicate, "seq \(r.seq) appears more than once (a fork)")
        } else if r.seq > expectedSeq {
            let missing = r.seq - 1 == expectedSeq ? "seq \(expectedSeq) is missing" : "seq \(expectedSeq)...\(r.seq - 1) are missing"
            fail(expectedSeq, .gap, missing)
        } else if r.prevHash != previousHash {
            fail(r.seq, .brokenLink, "prev_hash does not match the hmac of seq \(r.seq - 1)")
        } else if !r.createdAt.isInChainRange {
            fail(r.seq, .timeOutOfRange, "created_at (\(r.createdAt.microseconds) µs since 1970) is outside the years 0001-9999")
        } else if !(macMatches ?? ChainCodec.verify(r, key: key, scratch: &scratch)) {
            fail(r.seq, .hmacMismatch, "the stored hmac does not match the row's contents (a field was changed)")
        } else {
            expectedSeq += 1
            previousHash = r.hmac
            rowsVerified += 1
            return true
        }
        return false
    }

    /// A row of this session that cannot be read; it replaces any failure found before.
    public mutating func malformed(_ row: MalformedRow) {
        guard failure?.reason != .malformedRow else { return }
        fail(row.seq ?? expectedSeq, .malformedRow, row.detail + (row.id.map { " (row id \($0))" } ?? ""))
    }

    /// Compares where the walk ended with the session head the appends recorded.
    public mutating func finish(head: (seq: Int64, hmac: String)?) {
        guard failure == nil else { return }
        let lastSeq = expectedSeq - 1
        guard let head else {
            fail(max(lastSeq, 1), .headMismatch, "the session has rows but no head record (rows moved or inserted from elsewhere?)")
            return
        }
        if head.seq > lastSeq {
            fail(lastSeq + 1, .truncated, "the chain ends at seq \(lastSeq) but the session head records seq \(head.seq): rows were removed from the end")
        } else if head.seq < lastSeq || head.hmac != previousHash {
            fail(head.seq < lastSeq ? head.seq + 1 : lastSeq, .headMismatch, "the session head records seq \(head.seq) but the chain ends at seq \(lastSeq)")
        }
    }

    private mutating func fail(_ seq: Int64, _ reason: ChainFailureReason, _ detail: String) {
        failure = ChainFailure(sessionID: sessionID, seq: seq, reason: reason, detail: detail)
    }
}

/// What `audit verify` reports.
public struct VerificationReport: Sendable {
    public var rowsVerified = 0
    public var rowsRead = 0
    public var sessions = 0
    public var failures: [ChainFailure] = []
    public var elapsedSeconds = 0.0

    public var ok: Bool { failures.isEmpty }
    /// Nothing was checked: the store (or the range) holds no events and no session heads.
    public var isEmpty: Bool { rowsRead == 0 && sessions == 0 && failures.isEmpty }

    public var json: JSONValue {
        .object([
            ("verified", .bool(ok)),
            ("empty", .bool(isEmpty)),
            ("sessions", .int(sessions)),
            ("rows_verified", .int(rowsVerified)),
            ("rows_read", .int(rowsRead)),
            ("elapsed_seconds", .number((elapsedSeconds * 1000).rounded() / 1000)),
            ("rows_per_second", .number(elapsedSeconds > 0 ? (Double(rowsRead) / elapsedSeconds).rounded() : 0)),
            ("failures", .array(failures.map(\.json))),
        ])
    }
}

/// What to verify.
public struct VerificationScope: Sendable {
    public var sessionID: SessionID?
    public var fromSeq: Int64?
    public var toSeq: Int64?

    public init(sessionID: SessionID? = nil, fromSeq: Int64? = nil, toSeq: Int64? = nil) {
        self.sessionID = sessionID
        self.fromSeq = fromSeq
        self.toSeq = toSeq
    }
}

/// Walks stored rows by session and seq, streaming, and reports the first failure of each session.
public struct ChainVerifier {
    public let db: SQLConnection
    public let key: HMACKey

    public init(db: SQLConnection, keys: PurposeKeys) {
        self.db = db
        self.key = HMACKey(key: keys.chainKey)
    }

    /// Verification on read (`audit events --verify`): a record verifies when its own HMAC
    /// matches and its session's chain verifies from seq 1 up to the newest record listed.
    public func verdicts(for records: [AuditRecord]) throws -> [Bool] {
        var newest: [String: Int64] = [:]
        for r in records { newest[r.sessionID] = max(newest[r.sessionID] ?? 0, r.seq) }
        var firstBad: [String: Int64] = [:]
        for (session, top) in newest {
            guard let id = SessionID(session) else { firstBad[session] = 0; continue }
            if let failure = try verify(VerificationScope(sessionID: id, fromSeq: 1, toSeq: top)).failures.first {
                firstBad[session] = failure.seq
            }
        }
        var scratch: [UInt8] = []
        return records.map { r in
            if let bad = firstBad[r.sessionID], r.seq >= bad { return false }
            return ChainCodec.verify(r, key: key, scratch: &scratch)
        }
    }

    /// `progress` is called every `progressInterval` rows with the rows read so far. `observe`
    /// sees every row as it is checked, so a caller (a compliance report) can aggregate in the
    /// same pass instead of reading the log twice.
    public func verify(_ scope: VerificationScope = VerificationScope(), progressInterval: Int = 100_000,
                       progress: ((Int) -> Void)? = nil, observe: ((AuditRecord) throws -> Void)? = nil) throws -> VerificationReport {
        let started = Timestamp.now()
        if let from = scope.fromSeq, from < 1 { throw GovernanceError.invalid("--from-seq must be at least 1") }
        if let from = scope.fromSeq, let to = scope.toSeq, to < from {
            throw GovernanceError.invalid("--to-seq (\(to)) is before --from-seq (\(from))")
        }
        if scope.sessionID == nil, scope.fromSeq != nil || scope.toSeq != nil {
            throw GovernanceError.invalid("--from-seq and --to-seq need --session")
        }
        // One snapshot: heads and rows read in one read transaction, so appends committed
        // meanwhile by others are either wholly seen or not at all (no false head_mismatch).
        var report = try db.readTransaction {
            try verifyInSnapshot(scope, progressInterval: progressInterval, progress: progress, observe: observe)
        }
        report.elapsedSeconds = Double(Timestamp.now().microseconds - started.microseconds) / 1_000_000
        return report
    }

    /// Rows handed from the reading thread at a time.
    static let readBatch = 512
    /// The reading thread computes the MAC of one row in this many.
    static let readerMACShare = 4

    private struct ReaderStopped: Error {}

    private func verifyInSnapshot(_ scope: VerificationScope, progressInterval: Int, progress: ((Int) -> Void)?,
                                  observe: ((AuditRecord) throws -> Void)?) throws -> VerificationReport {
        // Heads and the range anchor are read first: the connection is busy while rows stream.
        var heads: [String: (seq: Int64, hmac: String)] = [:]
        var sql = "SELECT session_id, last_seq, last_hmac FROM governance_audit_sessions"
        var parameters: [SQLValue] = []
        if let session = scope.sessionID {
            sql += " WHERE session_id = ?"
            parameters = [.text(session.value)]
        }
        try db.forEachRow(sql, parameters) { row in
            guard let session = row.optionalText(0) else { return }
            // A head edited into the wrong types cannot match any chain end.
            heads[session] = ((try? row.int(1)) ?? -1, row.optionalText(2) ?? "")
        }

        var report = VerificationReport()
        let startSeq = scope.fromSeq ?? 1
        var anchor = ChainCodec.genesisHash
        var anchorFailure: ChainFailure?
        if let session = scope.sessionID, startSeq > 1 {
            if let row = try db.queryFirst("SELECT hmac FROM governance_audit_events WHERE session_id = ? AND seq = ? ORDER BY id LIMIT 1",
                                           [.text(session.value), .int(startSeq - 1)]) {
                anchor = try row.text(0)
            } else {
                anchorFailure = ChainFailure(sessionID: session.value, seq: startSeq - 1, reason: .gap,
                                             detail: "seq \(startSeq - 1), the link before the range, is missing")
            }
        }

        var rowsSQL = "SELECT \(AuditLog.columns) FROM governance_audit_events"
        var rowParameters: [SQLValue] = []
        if let session = scope.sessionID {
            rowsSQL += " WHERE session_id = ?"
            rowParameters.append(.text(session.value))
            if let from = scope.fromSeq { rowsSQL += " AND seq >= ?"; rowParameters.append(.int(from)) }
            if let to = scope.toSeq { rowsSQL += " AND seq <= ?"; rowParameters.append(.int(to)) }
        }
        rowsSQL += " ORDER BY session_id, seq, id"

        let checksHead = scope.fromSeq == nil && scope.toSeq == nil
        var current: ChainCheck?
        var seen = Set<String>()
        func close(_ check: inout ChainCheck?) {
            guard var done = check else { return }
            if checksHead { done.finish(head: heads[done.sessionID]) }
            report.rowsVerified += done.rowsVerified
            if let failure = done.failure { report.failures.append(failure) }
            check = nil
        }
        if let anchorFailure { report.failures.append(anchorFailure) }
        func handle(_ decoded: Result<AuditRecord, MalformedRow>, macMatches: Bool?) throws {
            func enter(_ session: String) {
                guard current?.sessionID != session else { return }
                close(&current)
                seen.insert(session)
                current = ChainCheck(sessionID: session, key: key, startSeq: startSeq, anchor: anchor)
            }
            switch decoded {
            case .success(let record):
                enter(record.sessionID)
                current!.check(record, macMatches: macMatches)
                // What follows a session's first failure is not evidence of anything.
                if current!.failure == nil { try observe?(record) }
            case .failure(let bad):
                enter(bad.sessionID ?? "")
                current!.malformed(bad)
            }
            report.rowsRead += 1
            if let progress, report.rowsRead % progressInterval == 0 { progress(report.rowsRead) }
        }
        if anchorFailure == nil {
            // Reading and decoding rows on one thread overlaps with hashing them on this one: on
            // two cores a verify then takes about as long as the read alone. A row's MAC depends
            // on the row alone, so the reading thread also computes every `readerMACShare`-th
            // row's, which balances the two threads' work (callgrind: reading 9,900 instructions
            // a row, a MAC with its canonical bytes 15,000).
            let db = self.db, key = self.key
            let reader = BackgroundProducer<[(Result<AuditRecord, MalformedRow>, Bool?)]>(capacity: 4) { send in
                var batch: [(Result<AuditRecord, MalformedRow>, Bool?)] = []
                batch.reserveCapacity(Self.readBatch)
                var scratch: [UInt8] = []
                var index = 0
                try db.forEachRow(rowsSQL, rowParameters) { row in
                    let decoded = AuditLog.decode(row)
                    var macMatches: Bool?
                    index &+= 1
                    if index % Self.readerMACShare == 0, case .success(let record) = decoded {
                        macMatches = ChainCodec.verify(record, key: key, scratch: &scratch)
                    }
                    batch.append((decoded, macMatches))
                    if batch.count == Self.readBatch {
                        guard send(batch) else { throw ReaderStopped() }
                        batch = []
                        batch.reserveCapacity(Self.readBatch)
                    }
                }
                if !batch.isEmpty { _ = send(batch) }
            }
            do {
                while let batch = try reader.next() {
                    for (decoded, macMatches) in batch { try handle(decoded, macMatches: macMatches) }
                    reader.giveBack(batch)
                }
            } catch {
                // The reader holds the connection until it has stopped: wait for that before the
                // caller uses it again.
                reader.cancel()
                while (try? reader.next()) != nil {}
                throw error
            }
        }
        close(&current)
        // A head whose rows are all gone is a chain cut to nothing.
        if checksHead {
            for (session, head) in heads.sorted(by: { $0.key < $1.key }) where !seen.contains(session) && head.seq > 0 {
                report.failures.append(ChainFailure(sessionID: session, seq: 1, reason: .truncated,
                                                    detail: "the session head records seq \(head.seq) but no rows remain"))
            }
        }
        report.sessions = seen.union(checksHead ? Set(heads.keys) : []).count
        report.failures.sort { ($0.sessionID, $0.seq) < ($1.sessionID, $1.seq) }
        return report
    }
}

extension VerificationReport {
    /// Why `audit verify` refuses a report before showing it: a named session without events
    /// (exit 2), or nothing at all to verify under `requireEvents` (exit 20).
    public func emptinessError(_ scope: VerificationScope, requireEvents: Bool) -> GovernanceError? {
        if let id = scope.sessionID, sessions == 0 {
            return GovernanceError.invalid("session \(id.value) has no events", hint: "check the id, or list sessions with `governance audit sessions`")
        }
        if isEmpty && requireEvents {
            return GovernanceError(.integrityFailure, "nothing to verify: the store holds no events, and --require-events needs some",
                                   hint: "check that --database-url or GOVERNANCE_DATABASE_URL names the store the agents write to")
        }
        return nil
    }

    /// The failure `audit verify` exits 20 with, naming the first broken chain; nil when every chain verified.
    public var integrityError: GovernanceError? {
        guard let first = failures.first else { return nil }
        return GovernanceError(.integrityFailure,
                               "audit chain integrity failure: session \(first.sessionID) seq \(first.seq): \(first.reason.rawValue)"
                                 + (failures.count > 1 ? " (and \(plural(failures.count - 1, "more session")))" : ""),
                               hint: "see docs/CHAIN.md for what each reason means; `governance audit trace --session \(first.sessionID)` shows the chain",
                               details: [("session_id", .string(first.sessionID)), ("seq", .int64(first.seq)),
                                         ("reason", .string(first.reason.rawValue))])
    }
}

import Glibc

/// The local spool: where observation events wait while the store is unreachable.
///
/// Each write is one file of JSON lines, created under a temporary name, synced and renamed, so a
/// file is either complete or absent. Files are named by time, so sorting names replays events in
/// the order they happened. Every event carries a `spool_id`; replay records it in
/// `governance_audit_spooled` in the same transaction as the append, so a replay that crashes
/// part-way and is run again neither loses nor duplicates an event. An event spooled after an
/// append whose outcome is unknown (a lost COMMIT reply) also carries that append's `append_id`,
/// and is skipped when the append did commit. Every line is authenticated with the spool key.
public struct AuditSpool: Sendable {
    /// `$GOVERNANCE_HOME/spool/<store key>`: one folder per store, so events are replayed only
    /// into the store they were meant for.
    public let directory: String
    public let storeDescription: String

    public init(home: String, configuration: Configuration) {
        // Keyed without credentials, so a rotated password finds the same folder.
        let identity = Configuration.storeIdentity(configuration.store)
        directory = home + "/spool/" + String(Digest.sha256Hex(identity).prefix(16))
        storeDescription = configuration.redactedStoreDescription
    }

    /// The MAC that ends each line: `,"mac":"<64 hex>"}`.
    static let macSuffixLength = 8 + 64 + 2

    /// Writes `events` as one new spool file; returns its path. Each line is authenticated with
    /// the spool key (docs/CHAIN.md): the HMAC of the line's object without its `mac` member.
    /// `appendID` is the idempotency key of the append that could not be confirmed, if any.
    public func write(_ events: [PendingEvent], keys: PurposeKeys, appendID: String? = nil) throws -> String {
        try FileSystem.makeDirectories(directory)
        let about = directory + "/STORE"
        if !FileSystem.exists(about) {
            _ = try? FileSystem.createExclusive(about, contents: storeDescription + "\n", mode: 0o600)
        }
        let key = HMACKey(key: keys.spoolKey)
        var text = ""
        for pending in events {
            let e = pending.event
            var line = "{\"spool_id\":\"" + (try SessionID.random().value) + "\""
            if let appendID {
                line += ",\"append_id\":"
                JSONWriter.writeString(appendID, into: &line)
            }
            line += ",\"spooled_at\":\"" + Timestamp.now().iso8601 + "\",\"session_id\":\"" + e.sessionID.value + "\",\"agent_id\":"
            JSONWriter.writeString(e.agentID, into: &line)
            line += ",\"kind\":"
            JSONWriter.writeString(e.kind, into: &line)
            line += ",\"model\":"
            writeOptional(e.model, into: &line)
            line += ",\"input_hash\":"
            writeOptional(e.inputHash, into: &line)
            line += ",\"output_hash\":"
            writeOptional(e.outputHash, into: &line)
            line += ",\"metadata\":" + pending.metadata + ",\"created_at\":\"" + pending.createdAt.iso8601 + "\"}"
            let mac = Hex.encode(key.mac(Array(line.utf8)))
            line.removeLast()
            text += line + ",\"mac\":\"" + mac + "\"}\n"
        }
        let first = events.first?.createdAt.microseconds ?? Timestamp.now().microseconds
        let unique = Hex.encode(try SecureRandom.bytes(6))
        let name = zeroPadded(max(0, first), 16) + "-" + String(getpid()) + "-" + unique + ".jsonl"
        let temporary = directory + "/.tmp-" + name
        guard try FileSystem.createExclusive(temporary, contents: text, mode: 0o600) else {
            throw GovernanceError.internalError("spool file name collision: \(temporary)")
        }
        let final = directory + "/" + name
        guard rename(temporary, final) == 0 else {
            let message = errnoMessage()
            unlink(temporary)
            throw GovernanceError.config("cannot write the spool file \(final): \(message)")
        }
        FileSystem.syncDirectory(directory)
        return final
    }

    /// Spool files waiting for replay, oldest first.
    public func pendingFiles() -> [String] {
        FileSystem.list(directory).filter { $0.hasSuffix(".jsonl") && !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }

    /// One authenticated event of a spool file.
    public struct SpooledEvent: Sendable {
        public var spoolID: String
        public var appendID: String?
        public var spooledAt: Timestamp
        public var pending: PendingEvent
    }

    /// A line that is not replayed: its number in the file, why, and its text as found.
    public struct RejectedLine: Sendable {
        public var line: Int
        public var reason: String
        public var text: Substring
    }

    /// The events of one spool file. A line that fails authentication (edited, or not written by
    /// governance with this secret) or cannot be read is rejected, never replayed.
    public func read(_ path: String, key: HMACKey) throws -> (events: [SpooledEvent], rejected: [RejectedLine]) {
        let text = try FileSystem.readText(path, what: "spool file")
        var events: [SpooledEvent] = []
        var rejected: [RejectedLine] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let body = Self.authenticatedBody(line, key: key) else {
                rejected.append(RejectedLine(line: number + 1, reason: "not authenticated: edited, or not written by governance with this secret", text: line))
                continue
            }
            do {
                let object = try JSONParser.parse(body)
                guard let spoolID = object["spool_id"]?.stringValue, let session = object["session_id"]?.stringValue,
                      let created = object["created_at"]?.stringValue.flatMap(Timestamp.init(parsing:)),
                      let spooledAt = object["spooled_at"]?.stringValue.flatMap(Timestamp.init(parsing:)),
                      let metadata = object["metadata"] else {
                    throw GovernanceError.invalid("missing fields")
                }
                let kind = object["kind"]?.stringValue ?? ""
                guard EventKind.isSpoolable(kind) else {
                    throw GovernanceError.invalid("kind \(quoted(kind)) is never spooled: governance writes it only with the change it records")
                }
                // An event from the future would, for one, keep an agent's last seen ahead of every sweep.
                guard created <= spooledAt, created.microseconds <= Timestamp.now().microseconds + Self.clockSkewMicroseconds else {
                    throw GovernanceError.invalid("created_at \(created.iso8601) is later than the event was spooled, or than now")
                }
                let event = AuditEventInput(sessionID: try SessionID.parse(session), agentID: object["agent_id"]?.stringValue ?? "",
                                            kind: object["kind"]?.stringValue ?? "", model: object["model"]?.stringValue,
                                            inputHash: object["input_hash"]?.stringValue, outputHash: object["output_hash"]?.stringValue,
                                            metadata: metadata)
                events.append(SpooledEvent(spoolID: spoolID, appendID: object["append_id"]?.stringValue, spooledAt: spooledAt,
                                           pending: try PendingEvent(validating: event, at: created)))
            } catch let error as GovernanceError {
                rejected.append(RejectedLine(line: number + 1, reason: "damaged: \(error.message)", text: line))
            }
        }
        return (events, rejected)
    }

    /// How far ahead of this host's clock a spooled event may be dated (another host's clock).
    static let clockSkewMicroseconds: Int64 = 300_000_000

    /// The line without its `mac` member when the MAC is right (compared in constant time).
    static func authenticatedBody(_ line: Substring, key: HMACKey) -> String? {
        let bytes = Array(line.utf8)
        guard bytes.count > macSuffixLength else { return nil }
        let split = bytes.count - macSuffixLength
        guard Array(bytes[split..<(split + 8)]) == Array(#","mac":""#.utf8), bytes[bytes.count - 2] == 0x22,
              bytes[bytes.count - 1] == UInt8(ascii: "}") else { return nil }
        let body = Array(bytes[..<split]) + [UInt8(ascii: "}")]
        let expected = Array(Hex.encode(key.mac(body)).utf8)
        var difference: UInt8 = 0
        for i in 0..<64 { difference |= expected[i] ^ bytes[split + 8 + i] }
        return difference == 0 ? String(decoding: body, as: UTF8.self) : nil
    }

    public struct FlushReport: Sendable {
        public var files = 0
        public var appended = 0
        /// Events whose replay had already committed before (a flush that crashed and ran again).
        public var alreadyPresent = 0
        /// Where rejected lines were set aside (`rejected/`), one file per spool file.
        public var rejectedFiles: [String] = []
        /// Lines that failed authentication or could not be read: never chained.
        public var rejected: [(file: String, line: Int, reason: String)] = []
        public var lastSeq: [String: Int64] = [:]

        public var json: JSONValue {
            .object([
                ("files", .int(files)),
                ("events_appended", .int(appended)),
                ("events_already_present", .int(alreadyPresent)),
                ("events_rejected", .int(rejected.count)),
                ("rejected_files", .array(rejectedFiles.map(JSONValue.string))),
                ("rejected", .array(rejected.map {
                    .object([("file", .string($0.file)), ("line", .int($0.line)), ("reason", .string($0.reason))])
                })),
                ("sessions", .array(lastSeq.sorted { $0.key < $1.key }.map {
                    .object([("session_id", .string($0.key)), ("last_seq", .int64($0.value))])
                })),
            ])
        }
    }

    /// Where what cannot be replayed from the spool file `path` is kept: `rejected/<its name>`.
    private func rejectedPath(for path: String) throws -> String {
        let folder = directory + "/rejected"
        try FileSystem.makeDirectories(folder)
        return folder + "/" + String(path.split(separator: "/").last!)
    }

    /// Replays every pending file into `log`, oldest first, exactly once per event; the caller
    /// holds the spool's flush lock (`flush(into:progress:)` takes it).
    func flushHoldingLock(into log: AuditLog, progress: ((Int) -> Void)? = nil) throws -> FlushReport {
        var report = FlushReport()
        for path in pendingFiles() {
            let events: [SpooledEvent], rejected: [RejectedLine]
            do {
                (events, rejected) = try read(path, key: log.spoolKey)
            } catch let error as GovernanceError where error.kind == .invalidInput {
                // Gone since the listing: replayed by a flush that did not take the lock. Not damage.
                if !FileSystem.exists(path) { continue }
                // A file that cannot be read at all must not block every later replay.
                let target = try rejectedPath(for: path)
                rename(path, target)
                report.rejectedFiles.append(target)
                report.rejected.append((target, 0, "unreadable: \(error.message)"))
                continue
            }
            if !rejected.isEmpty {
                // Kept for a person to read, before the file goes; a rerun finds them kept.
                let target = try rejectedPath(for: path)
                let text = rejected.map { $0.text + "\n" }.joined()
                _ = try FileSystem.createExclusive(target, contents: text, mode: 0o600)
                report.rejectedFiles.append(target)
                report.rejected += rejected.map { (target, $0.line, $0.reason) }
            }
            var start = 0
            while start < events.count {
                let chunk = events[start..<min(start + AuditLog.eventsPerTransaction, events.count)]
                let (fresh, records) = try log.db.writeTransaction { () -> (Int, [AuditRecord]) in
                    // Locked first: an append whose COMMIT reply was lost may still be committing.
                    try log.lockChains(Set(chunk.map(\.pending.event.sessionID.value)))
                    var committed: [String: Bool] = [:]
                    var toAppend: [PendingEvent] = []
                    let now = Timestamp.now().microseconds
                    for e in chunk {
                        if let appendID = e.appendID {
                            let done = try committed[appendID] ?? log.appendCommitted(appendID)
                            committed[appendID] = done
                            if done { continue }
                        }
                        let inserted = try log.db.execute("""
                            INSERT INTO governance_audit_spooled (spool_id, session_id, spooled_at_us, flushed_at_us)
                            VALUES (?, ?, ?, ?) ON CONFLICT (spool_id) DO NOTHING
                            """, [.text(e.spoolID), .text(e.pending.event.sessionID.value), .int(e.spooledAt.microseconds), .int(now)])
                        if inserted == 1 { toAppend.append(e.pending) }
                    }
                    // Their effects (spend, presence) apply as they enter the chain (`ChainEffects`).
                    let records = toAppend.isEmpty ? [] : try log.appendInTransaction(toAppend, returningIDs: false)
                    return (toAppend.count, records)
                }
                report.appended += fresh
                report.alreadyPresent += chunk.count - fresh
                for r in records { report.lastSeq[r.sessionID] = r.seq }
                start += chunk.count
                progress?(report.appended + report.alreadyPresent)
            }
            // Only once every event of the file is in the chain does the file go.
            unlink(path)
            FileSystem.syncDirectory(directory)
            report.files += 1
        }
        return report
    }
}

import Glibc

/// The local spool: where observation events wait while the store is unreachable.
///
/// Each write is one file of JSON lines, created under a temporary name, synced and renamed, so a
/// file is either complete or absent. Files are named by time, so sorting names replays events in
/// the order they happened. Every event carries a `spool_id`; replay records it in
/// `governance_audit_spooled` in the same transaction as the append, so a replay that crashes
/// part-way and is run again neither loses nor duplicates an event.
public struct AuditSpool: Sendable {
    /// `$GOVERNANCE_HOME/spool/<store key>`: one folder per store, so events are replayed only
    /// into the store they were meant for.
    public let directory: String
    public let storeDescription: String

    public init(home: String, configuration: Configuration) {
        let identity: String
        switch configuration.store {
        case .sqlite(let path): identity = "sqlite:" + path
        case .postgres(let url): identity = url
        }
        directory = home + "/spool/" + String(Digest.sha256Hex(identity).prefix(16))
        storeDescription = configuration.redactedStoreDescription
    }

    /// Writes `events` as one new spool file; returns its path.
    public func write(_ events: [PendingEvent]) throws -> String {
        try FileSystem.makeDirectories(directory)
        let about = directory + "/STORE"
        if !FileSystem.exists(about) {
            _ = try? FileSystem.createExclusive(about, contents: storeDescription + "\n", mode: 0o600)
        }
        var text = ""
        for pending in events {
            let e = pending.event
            text += "{\"spool_id\":\"" + (try SessionID.random().value) + "\",\"spooled_at\":\"" + Timestamp.now().iso8601 + "\",\"session_id\":\"" + e.sessionID.value + "\",\"agent_id\":"
            JSONWriter.writeString(e.agentID, into: &text)
            text += ",\"kind\":"
            JSONWriter.writeString(e.kind, into: &text)
            text += ",\"model\":"
            writeOptional(e.model, into: &text)
            text += ",\"input_hash\":"
            writeOptional(e.inputHash, into: &text)
            text += ",\"output_hash\":"
            writeOptional(e.outputHash, into: &text)
            text += ",\"metadata\":" + pending.metadata + ",\"created_at\":\"" + pending.createdAt.iso8601 + "\"}\n"
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

    /// The events of one spool file, with their spool ids.
    public func read(_ path: String) throws -> [(spoolID: String, spooledAt: Timestamp, pending: PendingEvent)] {
        let text = try FileSystem.readText(path, what: "spool file")
        var events: [(String, Timestamp, PendingEvent)] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            do {
                let object = try JSONParser.parse(String(line))
                guard let spoolID = object["spool_id"]?.stringValue, let session = object["session_id"]?.stringValue,
                      let created = object["created_at"]?.stringValue.flatMap(Timestamp.init(parsing:)),
                      let spooledAt = object["spooled_at"]?.stringValue.flatMap(Timestamp.init(parsing:)),
                      let metadata = object["metadata"] else {
                    throw GovernanceError.invalid("missing fields")
                }
                let event = AuditEventInput(sessionID: try SessionID.parse(session), agentID: object["agent_id"]?.stringValue ?? "",
                                            kind: object["kind"]?.stringValue ?? "", model: object["model"]?.stringValue,
                                            inputHash: object["input_hash"]?.stringValue, outputHash: object["output_hash"]?.stringValue,
                                            metadata: metadata)
                events.append((spoolID, spooledAt, PendingEvent(event, metadata: try event.validated(), createdAt: created)))
            } catch let error as GovernanceError {
                throw GovernanceError.invalid("spool file \(path) line \(number + 1) is damaged: \(error.message)")
            }
        }
        return events
    }

    public struct FlushReport: Sendable {
        public var files = 0
        public var appended = 0
        /// Events whose replay had already committed before (a flush that crashed and ran again).
        public var alreadyPresent = 0
        /// Damaged files moved to `rejected/` (their events could not be read).
        public var rejectedFiles: [String] = []
        public var lastSeq: [String: Int64] = [:]

        public var json: JSONValue {
            .object([
                ("files", .int(files)),
                ("events_appended", .int(appended)),
                ("events_already_present", .int(alreadyPresent)),
                ("rejected_files", .array(rejectedFiles.map(JSONValue.string))),
                ("sessions", .array(lastSeq.sorted { $0.key < $1.key }.map {
                    .object([("session_id", .string($0.key)), ("last_seq", .int64($0.value))])
                })),
            ])
        }
    }

    /// Replays every pending file into `log`, oldest first, exactly once per event.
    public func flush(into log: AuditLog, progress: ((Int) -> Void)? = nil) throws -> FlushReport {
        var report = FlushReport()
        for path in pendingFiles() {
            let events: [(spoolID: String, spooledAt: Timestamp, pending: PendingEvent)]
            do {
                events = try read(path)
            } catch let error as GovernanceError where error.kind == .invalidInput {
                // A damaged file must not block every later replay; keep it for a person to read.
                let rejected = directory + "/rejected"
                try FileSystem.makeDirectories(rejected)
                let target = rejected + "/" + String(path.split(separator: "/").last!)
                rename(path, target)
                report.rejectedFiles.append(target)
                continue
            }
            var start = 0
            while start < events.count {
                let chunk = events[start..<min(start + AuditLog.eventsPerTransaction, events.count)]
                let (fresh, records) = try log.db.writeTransaction { () -> (Int, [AuditRecord]) in
                    var toAppend: [PendingEvent] = []
                    let now = Timestamp.now().microseconds
                    for e in chunk {
                        let inserted = try log.db.execute("""
                            INSERT INTO governance_audit_spooled (spool_id, session_id, spooled_at_us, flushed_at_us)
                            VALUES (?, ?, ?, ?) ON CONFLICT (spool_id) DO NOTHING
                            """, [.text(e.spoolID), .text(e.pending.event.sessionID.value), .int(e.spooledAt.microseconds), .int(now)])
                        if inserted == 1 { toAppend.append(e.pending) }
                    }
                    let records = toAppend.isEmpty ? [] : try log.appendInTransaction(toAppend, returningIDs: false)
                    // A replayed heartbeat moves the presence row only when it is newer.
                    try Presence.apply(toAppend, db: log.db)
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

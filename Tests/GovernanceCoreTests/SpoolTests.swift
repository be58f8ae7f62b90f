import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The spool keeps events while the store is away and replays each exactly once.
@Suite struct SpoolTests {
    static func events(_ session: SessionID, count: Int, start: Int = 0) throws -> [PendingEvent] {
        try (start..<start + count).map {
            try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: "agent", kind: "step",
                                                          metadata: .object([("i", .int($0))])))
        }
    }

    static func spool(for db: TestDatabase) throws -> AuditSpool {
        let home = try makeTemporaryDirectory()
        return AuditSpool(home: home, configuration: Configuration(store: try db.location, home: home))
    }

    @Test(arguments: Backend.allCases)
    func replayIsInOrderAndExactlyOnceAfterAnInterruptedFlush(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let spool = try Self.spool(for: db)
        let session = try SessionID.random()
        // Two files; the second holds three transactions' worth of events.
        let first = try spool.write(try Self.events(session, count: 3), keys: testKeys)
        let second = try spool.write(try Self.events(session, count: 2_500, start: 3), keys: testKeys)
        #expect(spool.pendingFiles() == [first, second])

        // A flush that replayed the first file, committed the first 1,000 events of the second
        // and then died: run it on the second file cut to those lines, then put the file back as
        // the crash left it.
        let saved = try String(contentsOfFile: second, encoding: .utf8)
        let firstChunk = saved.split(separator: "\n").prefix(1_000).joined(separator: "\n") + "\n"
        try firstChunk.write(toFile: second, atomically: true, encoding: .utf8)
        let crashed = try spool.flush(into: log)
        #expect(crashed.appended == 1_003)
        try saved.write(toFile: second, atomically: true, encoding: .utf8)

        let resumed = try spool.flush(into: log)
        #expect(resumed.files == 1)
        #expect(resumed.appended == 1_500)
        #expect(resumed.alreadyPresent == 1_000)
        #expect(spool.pendingFiles().isEmpty)

        // A flush that committed everything but died before removing the file.
        try saved.write(toFile: second, atomically: true, encoding: .utf8)
        let again = try spool.flush(into: log)
        #expect(again.appended == 0 && again.alreadyPresent == 2_500)
        #expect(spool.pendingFiles().isEmpty)

        #expect(try StoreStatus.read(store.connection).events == 2_503)
        var seen: [Int] = []
        try AuditQuery(db: store.connection).chain(session) { r in
            if case .number(let i)? = try JSONParser.parse(r.metadataJSON)["i"] { seen.append(Int(i)) }
        }
        // Every event once, in the order the events happened.
        #expect(seen == Array(0..<2_503))
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }

    @Test(arguments: Backend.allCases)
    func recorderSpoolsWhenTheStoreIsAwayAndReplaysFirstWhenBack(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let spool = try Self.spool(for: db)
        let session = try SessionID.random()
        let down = AuditRecorder(spool: spool, keys: testKeys, requireDurable: false) {
            throw GovernanceError.unavailable("the store is down for this test")
        }
        guard case .spooled(_, let count) = try down.record(try Self.events(session, count: 2)) else {
            Issue.record("expected the events to be spooled")
            return
        }
        #expect(count == 2)
        #expect(down.warnings.first?.contains("spooled to") == true)

        let durable = AuditRecorder(spool: spool, keys: testKeys, requireDurable: true) {
            throw GovernanceError.unavailable("the store is down for this test")
        }
        #expect { _ = try durable.record(try Self.events(session, count: 1)) } throws: { ($0 as? GovernanceError)?.exitCode == 4 }
        #expect(spool.pendingFiles().count == 1)

        let store = try db.open()
        let up = AuditRecorder(spool: spool, keys: testKeys, requireDurable: false) { store }
        guard case .appended(let records) = try up.record(try Self.events(session, count: 1, start: 2), returningIDs: true) else {
            Issue.record("expected the event to be appended")
            return
        }
        #expect(records.map(\.seq) == [3])
        #expect(up.flushed?.appended == 2)
        #expect(spool.pendingFiles().isEmpty)
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }

    @Test func placeholderWhenTheSpoolCannotBeWrittenEither() throws {
        let home = try makeTemporaryDirectory()
        // A file where the spool folder should be: nothing can be created under it.
        _ = FileManager.default.createFile(atPath: home + "/spool", contents: Data())
        let config = Configuration(store: .sqlite(path: home + "/x.db"), home: home)
        let recorder = AuditRecorder(spool: AuditSpool(home: home, configuration: config), keys: testKeys, requireDurable: false) {
            throw GovernanceError.unavailable("down")
        }
        let session = try SessionID.random()
        guard case .placeholder(let records) = try recorder.record(try Self.events(session, count: 1)) else {
            Issue.record("expected a placeholder")
            return
        }
        #expect(records[0].hmac == ChainCodec.genesisHash)
        #expect(try JSONParser.parse(records[0].metadataJSON)["audit.unavailable"] == .bool(true))
        #expect(try JSONParser.parse(records[0].metadataJSON)["i"] == .int(0))
        #expect(recorder.warnings.first?.contains("NOT recorded") == true)
    }

    @Test func damagedSpoolFilesAreSetAsideNotBlocking() throws {
        let db = try TestDatabase.make(.sqlite)
        let store = try db.open()
        let spool = try Self.spool(for: db)
        let session = try SessionID.random()
        let good = try spool.write(try Self.events(session, count: 1), keys: testKeys)
        let damaged = spool.directory + "/0000000000000001-1-000000000000.jsonl"
        try "{not json\n".write(toFile: damaged, atomically: true, encoding: .utf8)
        let report = try spool.flush(into: AuditLog(db: store.connection, keys: testKeys))
        #expect(report.appended == 1)
        #expect(report.rejectedFiles == [spool.directory + "/rejected/0000000000000001-1-000000000000.jsonl"])
        #expect(!FileManager.default.fileExists(atPath: good))
        #expect(spool.pendingFiles().isEmpty)
    }

    /// The agent can derive the spool's key, so a spool file is only as good as its writer: a
    /// replay refuses the kinds governance never spools (an operator's kill, a grant, a budget
    /// alert, the sweep's mark) and events dated after they were spooled or ahead of the clock.
    @Test(arguments: Backend.allCases)
    func replayRefusesKindsNeverSpooledAndEventsFromTheFuture(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let spool = try Self.spool(for: db)
        let session = try SessionID.random()
        var forged = try [EventKind.operatorKill, EventKind.gateGranted, EventKind.budgetAlert, EventKind.presenceUnresponsive].map {
            try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: "agent", kind: $0, metadata: .object([])))
        }
        let tomorrow = Timestamp(microseconds: Timestamp.now().microseconds + 86_400_000_000)
        forged.append(try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: "agent", kind: EventKind.presenceHeartbeat,
                                                                    metadata: .object([])), at: tomorrow))
        _ = try spool.write(forged + (try Self.events(session, count: 1)), keys: testKeys)
        let report = try spool.flush(into: AuditLog(db: store.connection, keys: testKeys))
        #expect(report.appended == 1, "only the ordinary event is chained")
        #expect(report.rejected.count == 5, "\(report.rejected.map(\.reason))")
        #expect(report.rejected.filter { $0.reason.contains("never spooled") }.count == 4)
        #expect(report.rejected.contains { $0.reason.contains("later than") })
        #expect(try store.connection.query("SELECT kind FROM governance_audit_events", []).map { try $0.text(0) } == ["step"])
    }

    @Test func spoolFoldersAreSeparatePerStore() throws {
        let home = try makeTemporaryDirectory()
        let a = AuditSpool(home: home, configuration: Configuration(store: .sqlite(path: "/a.db"), home: home))
        let b = AuditSpool(home: home, configuration: Configuration(store: .postgres(url: "postgres://h/db"), home: home))
        #expect(a.directory != b.directory)
        #expect(a.directory.hasPrefix(home + "/spool/"))
    }
}

@Suite struct BatchInputTests {
    @Test func linesUseDefaultsAndHashTexts() throws {
        let session = try SessionID.random()
        let defaults = BatchInput.Defaults(sessionID: session, agentID: "default-agent", kind: "step")
        let e = try BatchInput.event(fromLine: ArraySlice(#"{"kind":"agent.llm_step","input":"hi","metadata":{"n":1}}"#.utf8), defaults: defaults)
        #expect(e.event.agentID == "default-agent")
        #expect(e.event.kind == "agent.llm_step")
        #expect(e.event.inputHash == Digest.sha256Hex("hi"))
        #expect(e.metadata == #"{"n":1}"#)
    }

    @Test(arguments: [
        (#"[1]"#, "not a JSON object"),
        (#"{"agent_id":"a","kind":"k"}"#, "missing session_id"),
        (#"{"session_id":"x","agent_id":"a","kind":"k"}"#, "invalid session id"),
        (#"{"session_id":"5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90","kind":"k"}"#, "missing agent_id"),
        (#"{"session_id":"5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90","agent_id":"a","kind":"k","agent":"b"}"#, "unknown field \"agent\""),
        (#"{"session_id":"5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90","agent_id":"a","kind":7}"#, "kind must be a string"),
        (#"{"session_id":"5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90","agent_id":"a","kind":"k","metadata":[]}"#, "must be a JSON object"),
        (#"{"session_id":"5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90","agent_id":"a","kind":"k","input":"x","input_hash":"y"}"#, "not both"),
    ])
    func badLinesSayWhy(line: String, message: String) {
        #expect {
            _ = try BatchInput.event(fromLine: ArraySlice(line.utf8), defaults: .init())
        } throws: { ($0 as? GovernanceError)?.message.contains(message) == true }
    }

    @Test func lineReaderSplitsAcrossChunks() throws {
        var chunks: [[UInt8]] = [Array("ab\ncd".utf8), Array("e\r\n\nf".utf8)]
        var reader = LineReader { chunks.isEmpty ? nil : chunks.removeFirst() }
        var lines: [String] = []
        while case .line(let line)? = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == ["ab", "cde", "", "f"])
        #expect(reader.lineNumber == 4)
    }

    /// A line past the limit is skipped to its end and reported, wherever the chunks split it;
    /// the lines around it are read as usual.
    @Test(arguments: [1, 3, 7, 64])
    func lineReaderRejectsOverlongLinesInBoundedMemory(chunkSize: Int) throws {
        let long = String(repeating: "x", count: 40), longer = String(repeating: "y", count: 100)
        let text = Array("ok\n\(long)\nfine\n\(longer)\n\nlast".utf8)
        var offset = 0
        var largestChunkHeld = 0
        var reader = LineReader(maxLineBytes: 16) {
            guard offset < text.count else { return nil }
            let chunk = Array(text[offset..<min(offset + chunkSize, text.count)])
            offset += chunk.count
            largestChunkHeld = max(largestChunkHeld, chunk.count)
            return chunk
        }
        var seen: [String] = []
        while let line = try reader.nextLine() {
            switch line {
            case .line(let bytes): seen.append(String(decoding: bytes, as: UTF8.self))
            case .tooLong: seen.append("<too long at \(reader.lineNumber)>")
            }
        }
        #expect(seen == ["ok", "<too long at 2>", "fine", "<too long at 4>", "", "last"])
    }

    /// CRLF framing reads the same wherever a chunk ends, the `\r` and its `\n` split included: a
    /// line of exactly the limit followed by `\r\n` is given whole, one byte longer is refused,
    /// and a `\r` that ends the stream is dropped like one before a newline.
    @Test func lineReaderReadsCRLFTheSameAtEveryChunkBoundary() throws {
        let limit = 8
        let exact = String(repeating: "e", count: limit), over = String(repeating: "o", count: limit + 1)
        let text = Array("a\r\n\r\n\(exact)\r\n\(over)\r\nb\rc\r\n\(exact)\r".utf8)
        let want = ["a", "", exact, "<too long>", "b\rc", exact]
        for chunkSize in 1...text.count {
            var offset = 0
            var reader = LineReader(maxLineBytes: limit) {
                guard offset < text.count else { return nil }
                defer { offset += chunkSize }
                return Array(text[offset..<min(offset + chunkSize, text.count)])
            }
            var seen: [String] = []
            while let line = try reader.nextLine() {
                switch line {
                case .line(let bytes): seen.append(String(decoding: bytes, as: UTF8.self))
                case .tooLong: seen.append("<too long>")
                }
            }
            #expect(seen == want, "chunks of \(chunkSize) bytes")
        }
    }

    /// A stream with no newline at all ends as one over-long line, not as memory growth.
    @Test func lineReaderWithoutNewlinesStaysBounded() throws {
        var produced = 0
        var reader = LineReader(maxLineBytes: 1024) {
            guard produced < 50 << 20 else { return nil }
            produced += 1 << 16
            return [UInt8](repeating: 0x41, count: 1 << 16)
        }
        guard case .tooLong? = try reader.nextLine() else { Issue.record("expected an over-long line"); return }
        #expect(try reader.nextLine() == nil)
        #expect(produced == 50 << 20)
    }
}

import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Attacks on the audit core, each on both stores: a hostile writer of input, of
/// the store or of the spool must be refused or detected, never believed.
@Suite struct IntegrityAttackTests {
    static func count(_ db: SQLConnection) throws -> Int64 {
        try db.queryFirst("SELECT COUNT(*) FROM governance_audit_events")?.int(0) ?? -1
    }

    static func event(_ session: SessionID, agent: String = "agent", kind: String = "step", model: String? = nil,
                      metadata: JSONValue = .object([])) -> AuditEventInput {
        AuditEventInput(sessionID: session, agentID: agent, kind: kind, model: model, metadata: metadata)
    }

    // MARK: 1. NUL and other control characters

    /// An identifier with a control character is refused (exit 2) and nothing is written.
    @Test(arguments: Backend.allCases)
    func controlCharactersInIdentifiersAreRefusedAndNothingIsWritten(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        let hostile: [(AuditEventInput, String)] = [
            (Self.event(session, agent: "a\u{0}hidden"), "agent"),
            (Self.event(session, kind: "step\nseq 9: approval.granted"), "kind"),
            (Self.event(session, agent: "a\u{1b}]0;owned\u{7}"), "agent"),
            (Self.event(session, model: "gpt\u{7f}"), "model"),
            (Self.event(session, kind: "x\u{85}y"), "kind"),
        ]
        for (input, field) in hostile {
            let error = #expect(throws: GovernanceError.self) { try log.append(input) }
            #expect(error?.exitCode == 2)
            #expect(error?.message.hasPrefix(field) == true, "\(error?.message ?? "")")
            // The offending character is named escaped, never raw.
            #expect(error?.message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } == false)
        }
        #expect(try Self.count(store.connection) == 0)
    }

    /// A NUL inside a metadata string is JSON-escaped in the canonical text, reaches the store
    /// whole and verifies.
    @Test(arguments: Backend.allCases)
    func nulInsideMetadataRoundTripsAndVerifies(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        let metadata = JSONValue.object([("note", .string("a\u{0}hidden\u{1b}[2J"))])
        try log.append(Self.event(session, metadata: metadata))
        var stored: [AuditRecord] = []
        try AuditQuery(db: store.connection).chain(session) { stored.append($0) }
        #expect(stored.count == 1)
        #expect(stored.first?.metadataJSON == #"{"note":"a\u0000hidden\u001b[2J"}"#)
        #expect(try JSONParser.parse(stored[0].metadataJSON) == metadata)
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }

    /// The drivers bind text with its length: SQLite keeps a NUL, PostgreSQL (whose text cannot
    /// hold one) refuses the value instead of storing it cut.
    @Test(arguments: Backend.allCases)
    func driversStoreTextWholeOrRefuseIt(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        _ = try db.open()
        let raw = try db.rawConnection()
        try raw.executeScript("CREATE TABLE t_text (x TEXT NOT NULL)")
        let value = "before\u{0}after"
        switch backend {
        case .sqlite:
            try raw.execute("INSERT INTO t_text (x) VALUES (?)", [.text(value)])
            #expect(try raw.queryFirst("SELECT x FROM t_text")?.text(0) == value)
        case .postgres:
            let error = #expect(throws: GovernanceError.self) { try raw.execute("INSERT INTO t_text (x) VALUES (?)", [.text(value)]) }
            #expect(error?.exitCode == 2)
            #expect(try raw.queryFirst("SELECT COUNT(*) FROM t_text")?.int(0) == 0)
        }
    }

    // MARK: 2. Export and --json cannot be forged by a stored field

    @Test(arguments: Backend.allCases)
    func tamperedFieldsCannotForgeExportedJSON(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        for i in 1...3 { try log.append(Self.event(session, metadata: .object([("i", .int(i))]))) }
        let raw = try db.rawConnection()
        let s = SQLValue.text(session.value)
        try raw.execute("UPDATE governance_audit_events SET hmac = ? WHERE session_id = ? AND seq = 1", [.text(#"x","kind":"forged"#), s])
        try raw.execute("UPDATE governance_audit_events SET prev_hash = ? WHERE session_id = ? AND seq = 2", [.text(#"y","agent_id":"forged"#), s])
        try raw.execute("UPDATE governance_audit_events SET metadata = ? WHERE session_id = ? AND seq = 3", [.text(#"{"i":3},"kind":"forged""#), s])
        var lines: [String] = []
        try AuditQuery(db: store.connection).all { lines.append($0.jsonLine) }
        #expect(lines.count == 3)
        let parsed = try lines.map { try JSONParser.parse($0) }
        for object in parsed {
            #expect(object["kind"] == .string("step"))
            #expect(object["agent_id"] == .string("agent"))
        }
        #expect(parsed[0]["hmac"] == .string(#"x","kind":"forged"#))
        #expect(parsed[1]["prev_hash"] == .string(#"y","agent_id":"forged"#))
        // Stored metadata that is not canonical JSON is reported as a string with a flag.
        #expect(parsed[2]["metadata"] == .string(#"{"i":3},"kind":"forged""#))
        #expect(parsed[2]["metadata_invalid"] == .bool(true))
        #expect(parsed[0]["metadata_invalid"] == nil)
        // The JSONValue form (`trace --json`) says the same.
        var records: [AuditRecord] = []
        try AuditQuery(db: store.connection).all { records.append($0) }
        #expect(records[2].json["metadata_invalid"] == .bool(true))
        #expect(JSONWriter.canonical(records[2].json) == JSONWriter.canonical(parsed[2]))
    }

    // MARK: 3. Times outside years 0001-9999

    @Test(arguments: Backend.allCases)
    func timeMovedByTenThousandYearsFailsVerification(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random(), other = try SessionID.random()
        for _ in 1...3 { try log.append(Self.event(session)) }
        try log.append(Self.event(other))
        // 10,000 Gregorian years are exactly 3,652,425 days: the same four year digits.
        let shift: Int64 = 3_652_425 * 86_400 * 1_000_000
        try db.rawConnection().execute("UPDATE governance_audit_events SET created_at_us = created_at_us + ? WHERE session_id = ? AND seq = 2",
                                       [.int(shift), .text(session.value)])
        let report = try ChainVerifier(db: store.connection, keys: testKeys).verify()
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.sessionID == session.value)
        #expect(report.failures.first?.seq == 2)
        #expect(report.failures.first?.reason.rawValue == "time_out_of_range")
    }

    @Test(arguments: Backend.allCases)
    func appendRefusesTimesOutsideTheChainRange(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        let year10000 = Timestamp(parsing: "9999-12-31T23:59:59.999999Z")!.microseconds + 1
        let year0 = Timestamp(parsing: "0001-01-01T00:00:00Z")!.microseconds - 1
        for micros in [year10000, year0, Int64.max, Int64.min] {
            let error = #expect(throws: GovernanceError.self) { try log.append(Self.event(session), at: Timestamp(microseconds: micros)) }
            #expect(error?.exitCode == 2)
            #expect(throws: GovernanceError.self) { try PendingEvent(validating: Self.event(session), at: Timestamp(microseconds: micros)) }
        }
        #expect(try Self.count(store.connection) == 0)
        // The edges themselves are fine.
        try log.append(Self.event(session), at: Timestamp(microseconds: year10000 - 1))
        try log.append(Self.event(session), at: Timestamp(microseconds: year0 + 1))
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }

    // MARK: 4. Rows with the wrong types

    @Test(arguments: Backend.allCases)
    func malformedRowFailsItsSessionAndTheOthersAreStillVerified(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let bad = try SessionID.random(), good = try SessionID.random(), alsoBad = try SessionID.random()
        for session in [bad, good, alsoBad] {
            for _ in 1...3 { try log.append(Self.event(session)) }
        }
        let raw = try db.rawConnection()
        switch backend {
        case .sqlite:
            // Column affinity lets text into an INTEGER column.
            try raw.execute("UPDATE governance_audit_events SET seq = '2x' WHERE session_id = ? AND seq = 2", [.text(bad.value)])
            try raw.execute("UPDATE governance_audit_events SET created_at_us = 'soon' WHERE session_id = ? AND seq = 3", [.text(alsoBad.value)])
        case .postgres:
            try raw.executeScript("ALTER TABLE governance_audit_events ALTER COLUMN hmac DROP NOT NULL")
            try raw.execute("UPDATE governance_audit_events SET hmac = NULL WHERE session_id = ? AND seq = 2", [.text(bad.value)])
            try raw.executeScript("ALTER TABLE governance_audit_events ALTER COLUMN created_at_us DROP NOT NULL")
            try raw.execute("UPDATE governance_audit_events SET created_at_us = NULL WHERE session_id = ? AND seq = 3", [.text(alsoBad.value)])
        }
        let report = try ChainVerifier(db: store.connection, keys: testKeys).verify()
        #expect(report.sessions == 3)
        #expect(Set(report.failures.map(\.sessionID)) == [bad.value, alsoBad.value])
        #expect(report.failures.allSatisfy { $0.reason.rawValue == "malformed_row" })
        #expect(report.failures.first { $0.sessionID == alsoBad.value }?.seq == 3)
        #expect(report.rowsVerified >= 3 + 2)
        // One session alone, and the read paths (trace, events, export): an integrity failure.
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify(VerificationScope(sessionID: bad)).failures.first?.reason.rawValue == "malformed_row")
        let error = #expect(throws: GovernanceError.self) { try AuditQuery(db: store.connection).chain(bad) { _ in } }
        #expect(error?.exitCode == 20)
        #expect(throws: GovernanceError.self) { try AuditQuery(db: store.connection).all { _ in } }
    }

    // MARK: 5. One snapshot

    /// Appenders on their own connections while verify runs again and again: no false alarm.
    @Test(arguments: Backend.allCases)
    func verifyRaisesNoFalseAlarmWhileOthersAppend(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let sessions = try (0..<3).map { _ in try SessionID.random() }
        let log = AuditLog(db: store.connection, keys: testKeys)
        for s in sessions { try log.append(Self.event(s)) }
        let stop = StopFlag()
        let appenders = (0..<2).map { n in
            let thread = Thread {
                defer { stop.finished() }
                do {
                    let own = try db.open()
                    let log = AuditLog(db: own.connection, keys: testKeys)
                    var i = 0
                    while !stop.isSet && i < 20_000 {
                        try log.append(Self.event(sessions[(i + n) % sessions.count]))
                        i += 1
                    }
                } catch { stop.fail("\(error)") }
            }
            thread.start()
            return thread
        }
        _ = appenders
        let verifier = ChainVerifier(db: store.connection, keys: testKeys)
        var alarms: [String] = []
        for _ in 0..<150 {
            let report = try verifier.verify()
            alarms += report.failures.map { "\($0.reason.rawValue) \($0.detail)" }
            for s in sessions {
                alarms += try verifier.verify(VerificationScope(sessionID: s)).failures.map { "\($0.reason.rawValue) \($0.detail)" }
            }
        }
        stop.set()
        stop.waitForAll(2)
        #expect(stop.error == nil)
        #expect(alarms.isEmpty, "\(alarms.count) false alarms, first: \(alarms.first ?? "")")
        #expect(try verifier.verify().ok)
    }

    // MARK: 6. The spool is authenticated

    @Test(arguments: Backend.allCases)
    func editedOrForgedSpoolLinesAreSetAsideNotChained(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let home = try makeTemporaryDirectory()
        let spool = AuditSpool(home: home, configuration: Configuration(store: try db.location, home: home))
        let session = try SessionID.random()
        let down = AuditRecorder(spool: spool, keys: testKeys, requireDurable: false) {
            throw GovernanceError.unavailable("down for the test")
        }
        let events = try (1...3).map { try PendingEvent(validating: Self.event(session, metadata: .object([("i", .int($0))]))) }
        guard case .spooled(let path, 3) = try down.record(events) else { Issue.record("not spooled"); return }
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        // An edited event, and a made-up approval from 2019 in the old, unauthenticated format.
        lines[1] = lines[1].replacingOccurrences(of: #""kind":"step""#, with: #""kind":"stop""#)
        #expect(lines[1].contains(#""kind":"stop""#))
        lines.append(#"{"spool_id":"\#(UUID().uuidString.lowercased())","spooled_at":"2019-03-01T10:00:00.000000Z","session_id":"\#(session.value)","agent_id":"agent","kind":"approval.granted","model":null,"input_hash":null,"output_hash":null,"metadata":{},"created_at":"2019-03-01T10:00:00.000000Z"}"#)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)

        let store = try db.open()
        let report = try spool.flush(into: AuditLog(db: store.connection, keys: testKeys))
        #expect(report.appended == 2)
        #expect(report.json["events_rejected"] == .int(2))
        #expect(spool.pendingFiles().isEmpty)
        var kinds: [String] = [], numbers: [JSONValue?] = []
        try AuditQuery(db: store.connection).chain(session) { kinds.append($0.kind); numbers.append(try JSONParser.parse($0.metadataJSON)["i"]) }
        #expect(kinds == ["step", "step"])
        #expect(numbers == [.int(1), .int(3)])
        // What was set aside is kept for a person to read.
        let rejected = FileManager.default.enumerator(atPath: spool.directory + "/rejected")?.allObjects.count ?? 0
        #expect(rejected >= 1)
    }

    // MARK: 12. Identifier limits count UTF-8 bytes

    @Test func identifierLimitsCountUTF8Bytes() throws {
        let session = try SessionID.random()
        // 256 characters, 512 bytes.
        #expect(throws: GovernanceError.self) { try Self.event(session, agent: String(repeating: "é", count: 256)).validated() }
        #expect(throws: GovernanceError.self) { try Self.event(session, kind: String(repeating: "e\u{301}", count: 100)).validated() }
        _ = try Self.event(session, agent: String(repeating: "é", count: 128)).validated()
        _ = try Self.event(session, agent: String(repeating: "a", count: 256)).validated()
        #expect(throws: GovernanceError.self) { try Self.event(session, agent: String(repeating: "a", count: 257)).validated() }
        _ = try Self.event(session, model: String(repeating: "é", count: 64)).validated()
        #expect(throws: GovernanceError.self) { try Self.event(session, model: String(repeating: "é", count: 65)).validated() }
    }
}

/// Shared between a test and its worker threads.
final class StopFlag: @unchecked Sendable {
    private let lock = NSCondition()
    private var stopped = false
    private var done = 0
    private(set) var error: String?

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    func set() { lock.lock(); stopped = true; lock.unlock() }
    func fail(_ message: String) { lock.lock(); error = error ?? message; lock.unlock() }
    func finished() { lock.lock(); done += 1; lock.broadcast(); lock.unlock() }
    func waitForAll(_ count: Int) {
        lock.lock()
        while done < count { lock.wait() }
        lock.unlock()
    }
}

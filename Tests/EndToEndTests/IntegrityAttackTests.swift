import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Attacks that need the built binary or a misbehaving PostgreSQL: a lost COMMIT
/// reply, a read-only database, a statement timeout, a hostile batch line.
@Suite struct IntegrityAttackEndToEndTests {
    static func count(_ url: String) throws -> Int64 {
        let connection: SQLConnection = switch try Configuration.parseStoreURL(url) {
        case .sqlite(let path): try SQLiteConnection(path: path)
        case .postgres(let url): try PostgresConnection(url: url)
        }
        return try connection.queryFirst("SELECT COUNT(*) FROM governance_audit_events")?.int(0) ?? -1
    }

    /// A schema of the test's own in the throwaway cluster, reached through `proxy`.
    static func proxied(_ proxy: CommitDroppingProxy) throws -> (gov: Governance, direct: String) {
        let db = try TestDatabase.make(.postgres)
        let options = String(db.url[db.url.range(of: "options=")!.lowerBound...])
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = proxy.url(query: options)
        let migrated = try gov.run(["db", "migrate"])
        guard migrated.status == 0 else { throw TestSetupError("db migrate failed: \(migrated.stderr)") }
        return (gov, db.url)
    }

    // MARK: 7. A lost COMMIT reply

    @Test func lostCommitReplyDoesNotDuplicateASingleEvent() throws {
        let proxy = try CommitDroppingProxy(postgresURL: try TestDatabase.postgresURL(), drops: 1)
        let (gov, direct) = try Self.proxied(proxy)
        let session = try SessionID.random().value
        let logged = try gov.run(["--json", "audit", "log", "-s", session, "-a", "agent", "-k", "step"])
        #expect(logged.status == 0, "\(logged.stderr)")
        #expect(proxy.dropped == 1)
        #expect(try JSONParser.parse(logged.stdout)["status"] == .string("spooled"))
        let flushed = try gov.run(["--json", "audit", "flush"])
        #expect(flushed.status == 0, "\(flushed.stderr)")
        #expect(try JSONParser.parse(flushed.stdout)["events_appended"] == .int(0))
        #expect(try Self.count(direct) == 1)
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test func lostCommitReplyDoesNotDuplicateABatch() throws {
        let proxy = try CommitDroppingProxy(postgresURL: try TestDatabase.postgresURL(), drops: 1)
        let (gov, direct) = try Self.proxied(proxy)
        let session = try SessionID.random().value
        let lines = (1...5_000).map { "{\"kind\":\"step\",\"metadata\":{\"i\":\($0)}}" }.joined(separator: "\n") + "\n"
        let batch = try gov.run(["--json", "audit", "log", "--batch", "-s", session, "-a", "batcher"], stdin: lines)
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(proxy.dropped == 1)
        let flushed = try gov.run(["audit", "flush"])
        #expect(flushed.status == 0, "\(flushed.stderr)")
        #expect(try Self.count(direct) == 5_000)
        let verify = try gov.json(["audit", "verify"])
        #expect(verify["verified"] == .bool(true))
        #expect(verify["rows_verified"] == .int(5_000))
        // Every line once, in order.
        var seen: [Int] = []
        try AuditQuery(db: try PostgresConnection(url: direct)).chain(try SessionID.parse(session)) { r in
            if case .number(let i)? = try JSONParser.parse(r.metadataJSON)["i"] { seen.append(Int(i)) }
        }
        #expect(seen == Array(1...5_000))
    }

    // MARK: 8. Every failure to write is spooled, not exit 1

    /// A role whose transactions are read-only (SQLSTATE 25006).
    @Test func readOnlyDatabaseSpoolsThenFlushesOnce() throws {
        let base = try TestDatabase.postgresURL()
        let admin = try PostgresConnection(url: base)
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let role = "r_\(suffix)", schema = "s_\(suffix)"
        try admin.executeScript("CREATE ROLE \(role) LOGIN; CREATE SCHEMA \(schema) AUTHORIZATION \(role)")
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = base.replacingOccurrences(of: "user=postgres", with: "user=\(role)") + "&options=-csearch_path%3D\(schema)"
        #expect(try gov.run(["db", "migrate"]).status == 0)
        try admin.executeScript("ALTER ROLE \(role) SET default_transaction_read_only = on")
        let session = try SessionID.random().value
        let logged = try gov.run(["--json", "audit", "log", "-s", session, "-a", "agent", "-k", "step"])
        #expect(logged.status == 0, "\(logged.stderr)")
        #expect(try JSONParser.parse(logged.stdout)["status"] == .string("spooled"))
        let durable = try gov.run(["audit", "log", "--require-durable", "-s", session, "-a", "agent", "-k", "step"])
        #expect(durable.status == 4, "\(durable.stderr)")
        try admin.executeScript("ALTER ROLE \(role) RESET default_transaction_read_only")
        let flushed = try gov.run(["audit", "flush"])
        #expect(flushed.status == 0, "\(flushed.stderr)")
        #expect(try admin.queryFirst("SELECT COUNT(*) FROM \(schema).governance_audit_events")?.int(0) == 1)
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    /// A statement timeout (SQLSTATE 57014) while another connection holds the chain's lock.
    @Test func statementTimeoutSpoolsThenFlushesOnce() throws {
        let db = try TestDatabase.make(.postgres)
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = db.url + "%20-cstatement_timeout%3D1500"
        #expect(try gov.run(["db", "migrate"]).status == 0)
        let session = try SessionID.random().value
        let holder = try PostgresConnection(url: db.url)
        try holder.beginWrite()
        try holder.lockChain(session)
        let logged = try gov.run(["--json", "audit", "log", "-s", session, "-a", "agent", "-k", "step"])
        holder.rollback()
        #expect(logged.status == 0, "\(logged.stderr)")
        #expect(try JSONParser.parse(logged.stdout)["status"] == .string("spooled"))
        let flushed = try gov.run(["audit", "flush"])
        #expect(flushed.status == 0, "\(flushed.stderr)")
        #expect(try Self.count(db.url) == 1)
    }

    // MARK: 1. A NUL in a batch field

    @Test(arguments: Backend.allCases)
    func nulInABatchFieldIsRejectedAndTheChainStillVerifies(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        let lines = [#"{"kind":"step"}"#, #"{"agent_id":"a\u0000hidden","kind":"step"}"#, #"{"kind":"note","metadata":{"text":"x\u0000y"}}"#]
        let batch = try gov.run(["--json", "audit", "log", "--batch", "-s", session, "-a", "batcher"], stdin: lines.joined(separator: "\n"))
        #expect(batch.status == 0, "\(batch.stderr)")
        let report = try JSONParser.parse(batch.stdout)
        #expect(report["appended"] == .int(2))
        guard case .array(let items)? = report["rejected"] else { Issue.record("no rejected list"); return }
        #expect(items.map { $0["line"] } == [.int(2)])
        let verify = try gov.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let exported = try gov.run(["audit", "export"]).stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(exported.last?["metadata"] == .object([("text", .string("x\u{0}y"))]))
    }

    // MARK: 4. A malformed row through the commands

    @Test(arguments: Backend.allCases)
    func malformedRowIsAnIntegrityFailureForEveryReadCommand(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let bad = try SessionID.random().value, good = try SessionID.random().value
        for session in [bad, good] {
            for _ in 1...3 { #expect(try gov.run(["audit", "log", "-s", session, "-a", "a", "-k", "step"]).status == 0) }
        }
        let url = gov.environment["GOVERNANCE_DATABASE_URL"]!
        let raw: SQLConnection = switch try Configuration.parseStoreURL(url) {
        case .sqlite(let path): try SQLiteConnection(path: path)
        case .postgres(let url): try PostgresConnection(url: url)
        }
        switch backend {
        case .sqlite:
            try raw.execute("UPDATE governance_audit_events SET seq = '2x' WHERE session_id = ? AND seq = 2", [.text(bad)])
        case .postgres:
            try raw.executeScript("ALTER TABLE governance_audit_events ALTER COLUMN hmac DROP NOT NULL")
            try raw.execute("UPDATE governance_audit_events SET hmac = NULL WHERE session_id = ? AND seq = 2", [.text(bad)])
        }
        let verify = try gov.run(["--json", "audit", "verify"])
        #expect(verify.status == 20, "\(verify.stderr)")
        let report = try JSONParser.parse(verify.stdout)
        #expect(report["sessions"] == .int(2))
        guard case .array(let failures)? = report["failures"] else { Issue.record("no failures"); return }
        #expect(failures.count == 1)
        #expect(failures.first?["session_id"] == .string(bad))
        #expect(failures.first?["reason"] == .string("malformed_row"))
        #expect(try gov.run(["audit", "verify", "--session", good]).status == 0)
        for command in [["audit", "trace", "-s", bad], ["audit", "events", "--verify"], ["audit", "events"], ["audit", "export"]] {
            let r = try gov.run(command)
            #expect(r.status == 20, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("malformed"), "\(command): \(r.stderr)")
        }
    }

    // MARK: 5. trace reads one snapshot

    @Test(arguments: Backend.allCases)
    func traceRaisesNoFalseAlarmWhileOthersAppend(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random()
        #expect(try gov.run(["audit", "log", "-s", session.value, "-a", "a", "-k", "step"]).status == 0)
        let url = gov.environment["GOVERNANCE_DATABASE_URL"]!
        let stop = EndToEndStopFlag()
        let thread = Thread {
            defer { stop.finish() }
            guard let store = try? Store(location: try Configuration.parseStoreURL(url), migration: .automatic) else { return }
            let log = AuditLog(db: store.connection, keys: testKeys)
            var i = 0
            while !stop.isSet && i < 50_000 {
                _ = try? log.append(AuditEventInput(sessionID: session, agentID: "a", kind: "step"))
                i += 1
            }
        }
        thread.start()
        var alarms = 0
        for _ in 0..<25 {
            let r = try gov.run(["-q", "audit", "trace", "-s", session.value])
            if r.status != 0 { alarms += 1 }
            let v = try gov.run(["-q", "audit", "verify"])
            if v.status != 0 { alarms += 1 }
        }
        stop.set()
        stop.wait()
        #expect(alarms == 0)
    }
}

final class EndToEndStopFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false, finished = false
    var isSet: Bool { condition.lock(); defer { condition.unlock() }; return stopped }
    func set() { condition.lock(); stopped = true; condition.unlock() }
    func finish() { condition.lock(); finished = true; condition.broadcast(); condition.unlock() }
    func wait() { condition.lock(); while !finished { condition.wait() }; condition.unlock() }
}

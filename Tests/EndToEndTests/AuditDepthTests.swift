import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Batch ingestion, the spool, crashes and tail, driven through the built binary.
@Suite struct AuditDepthTests {
    static func count(_ url: String) throws -> Int64 {
        let connection: SQLConnection = switch try Configuration.parseStoreURL(url) {
        case .sqlite(let path): try SQLiteConnection(path: path)
        case .postgres(let url): try PostgresConnection(url: url)
        }
        return try StoreStatus.read(connection).events ?? 0
    }

    @Test(arguments: Backend.allCases)
    func batchWithBadLinesMidFileAppendsTheGoodAndNamesTheBad(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        var lines: [String] = []
        for i in 1...30 {
            switch i {
            case 7: lines.append("{\"kind\":\"step\",\"metadata\":{\"n\":9007199254740993}}")
            case 12: lines.append("not json at all")
            case 20: lines.append("{\"kind\":\"step\",\"session_id\":\"not-a-uuid\"}")
            case 25: lines.append("")
            default: lines.append("{\"kind\":\"step\",\"metadata\":{\"i\":\(i)}}")
            }
        }
        let file = gov.home + "/batch.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try gov.run(["--json", "audit", "log", "--batch", file, "--agent", "batcher", "--session", session])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONParser.parse(r.stdout)
        #expect(report["appended"] == .int(26))
        let rejected = report["rejected"]
        guard case .array(let items)? = rejected else { Issue.record("no rejected list"); return }
        #expect(items.map { $0["line"] } == [.int(7), .int(12), .int(20)])
        #expect(items[0]["reason"]?.stringValue?.contains("beyond") == true)
        #expect(items[2]["reason"]?.stringValue?.contains("invalid session id") == true)
        #expect(report["sessions"] == .array([.object([("session_id", .string(session)), ("last_seq", .int(26))])]))
        #expect(r.stderr.contains("line 12 rejected"))

        // From stdin too, with the same report.
        let piped = try gov.run(["--json", "audit", "log", "--batch", "-a", "batcher", "-s", session], stdin: lines.joined(separator: "\n"))
        #expect(try JSONParser.parse(piped.stdout)["appended"] == .int(26))
        let verify = try gov.json(["audit", "verify"])
        #expect(verify["verified"] == .bool(true))
        #expect(verify["rows_verified"] == .int(52))
    }

    /// SIGKILL in the middle of a batch: the committed transactions stay, whole, and verify. The
    /// test feeds stdin and never closes it, so the batch cannot finish before the kill: it
    /// commits three whole transactions, then holds half of a fourth when it is killed.
    @Test(arguments: Backend.allCases)
    func processKilledMidBatchLeavesAChainThatVerifies(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        let perTransaction = AuditLog.eventsPerTransaction
        let line = "{\"kind\":\"step\",\"metadata\":{\"payload\":\"" + String(repeating: "x", count: 200) + "\"}}\n"

        let process = try SpawnedProcess(governanceBinary(), ["-q", "audit", "log", "--batch", "-", "-a", "batcher", "-s", session],
                                         environment: gov.environment)
        let url = gov.environment["GOVERNANCE_DATABASE_URL"]!
        process.feed(String(repeating: line, count: 3 * perTransaction))
        #expect(waitUntil { (try? Self.count(url)) == Int64(3 * perTransaction) }, "the three transactions were not committed")
        process.feed(String(repeating: line, count: perTransaction / 2))
        #expect(process.isRunning, "the batch is waiting for the rest of its input")
        process.signal(SIGKILL)
        #expect(process.wait() == 128 + SIGKILL)
        process.send(nil)

        let after = try Self.count(url)
        #expect(after == Int64(3 * perTransaction), "only whole transactions are stored: \(after)")
        let verify = try gov.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // And the chain goes on from where it stopped.
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "after", "-s", session]).stdout.contains("seq \(after + 1) "))
    }

    /// The SQLite file cannot be written: events go to the spool, and `audit flush` puts each in
    /// the chain once when the file is writable again.
    @Test func spoolKeepsEventsWhileTheSQLiteFileIsUnwritable() throws {
        let gov = try Governance(backend: .sqlite)
        let session = try SessionID.random().value
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "before", "-s", session]).status == 0)
        let path = try #require({ () -> String? in
            if case .sqlite(let p)? = try? Configuration.parseStoreURL(gov.environment["GOVERNANCE_DATABASE_URL"]!) { return p }
            return nil
        }())
        // Root ignores permission bits; the immutable attribute stops even root from writing.
        // Where the file system has no such attribute, a folder put in the file's place makes
        // the store just as unusable.
        let env = ProcessInfo.processInfo.environment
        let hasChattr = FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr")
        let immutable = try hasChattr && runProcess("/usr/bin/chattr", ["+i", path], environment: env).status == 0
        func makeWritable() throws {
            if immutable {
                _ = try runProcess("/usr/bin/chattr", ["-i", path], environment: env)
            } else if (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory {
                try FileManager.default.removeItem(atPath: path)
                try FileManager.default.moveItem(atPath: path + ".saved", toPath: path)
            }
        }
        if !immutable {
            try FileManager.default.moveItem(atPath: path, toPath: path + ".saved")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        defer { try? makeWritable() }

        let single = try gov.run(["--json", "audit", "log", "-a", "a", "-k", "while-down-1", "-s", session])
        #expect(single.status == 0)
        #expect(try JSONParser.parse(single.stdout)["status"] == .string("spooled"))
        #expect(single.stderr.contains("spooled to"))
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "while-down-2", "-s", session]).status == 0)
        let batch = try gov.run(["--json", "audit", "log", "--batch", "-a", "a", "-s", session],
                                stdin: "{\"kind\":\"batch-1\"}\n{\"kind\":\"batch-2\"}\n")
        #expect(try JSONParser.parse(batch.stdout)["spooled"] == .int(2))
        let durable = try gov.run(["audit", "log", "-a", "a", "-k", "durable", "-s", session, "--require-durable"])
        #expect(durable.status == 4)
        #expect(try gov.run(["audit", "flush"]).status == 4, "flush keeps the spool while the store is unwritable")

        try makeWritable()
        let flush = try gov.json(["audit", "flush"])
        #expect(flush["events_appended"] == .int(4))
        #expect(try gov.json(["audit", "flush"])["events_appended"] == .int(0))
        let kinds = try gov.run(["--json", "audit", "events", "-s", session]).stdout.split(separator: "\n").map {
            try JSONParser.parse(String($0))["kind"]?.stringValue ?? ""
        }
        #expect(kinds == ["before", "while-down-1", "while-down-2", "batch-1", "batch-2"])
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    /// PostgreSQL stopped: every event is spooled; after a restart the next `audit log` replays
    /// the spool first, then `audit flush` has nothing left to do.
    @Test func spoolKeepsEventsWhilePostgresIsStopped() throws {
        let server = try PrivatePostgres()
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = server.url
        #expect(try gov.run(["db", "migrate"]).status == 0)
        let session = try SessionID.random().value
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "e0", "-s", session]).status == 0)

        try server.stop()
        for i in 1...5 {
            let r = try gov.run(["audit", "log", "-a", "a", "-k", "e\(i)", "-s", session])
            #expect(r.status == 0)
            #expect(r.stderr.contains("the store is unavailable"))
        }
        let batch = try gov.run(["--json", "audit", "log", "--batch", "-a", "a", "-s", session],
                                stdin: (6...1_205).map { "{\"kind\":\"e\($0)\"}" }.joined(separator: "\n"))
        #expect(try JSONParser.parse(batch.stdout)["spooled"] == .int(1_200))
        #expect(try gov.run(["--json", "audit", "verify"]).status == 4, "verify fails closed")

        try server.start()
        let next = try gov.run(["audit", "log", "-a", "a", "-k", "e1206", "-s", session])
        #expect(next.status == 0)
        #expect(next.stdout.contains("seq 1207 "))
        #expect(next.stderr.contains("replayed 1205 spooled events"))
        #expect(try gov.json(["audit", "flush"])["events_appended"] == .int(0))
        let events = try gov.run(["--json", "audit", "events", "-s", session]).stdout.split(separator: "\n")
        let kinds = try events.map { try JSONParser.parse(String($0))["kind"]?.stringValue ?? "" }
        #expect(kinds == (0...1_206).map { "e\($0)" })
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    /// SIGKILL in the middle of `audit flush`, then flush again: every spooled event is in the
    /// chain exactly once.
    @Test func flushKilledMidwayNeitherLosesNorDuplicates() throws {
        var gov = try Governance()
        let later = gov.home + "/later"
        gov.environment["GOVERNANCE_DATABASE_URL"] = "sqlite:\(later)/governance.db"
        let session = try SessionID.random().value
        let total = 40_000
        let batch = try gov.run(["--json", "audit", "log", "--batch", "-a", "a", "-s", session],
                                stdin: (1...total).map { "{\"kind\":\"k\",\"metadata\":{\"i\":\($0)}}" }.joined(separator: "\n"))
        #expect(try JSONParser.parse(batch.stdout)["spooled"] == .int(total))

        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: true)
        let url = gov.environment["GOVERNANCE_DATABASE_URL"]!
        let flush = try SpawnedProcess(governanceBinary(), ["-q", "audit", "flush"], environment: gov.environment)
        flush.send(nil)
        for _ in 0..<20_000 where flush.isRunning {
            if ((try? Self.count(url)) ?? 0) >= 2_000 { break }
            usleep(2_000)
        }
        flush.signal(SIGKILL)
        #expect(flush.wait() == 128 + SIGKILL, "the flush finished before it could be killed; spool more")
        let partial = try Self.count(url)
        #expect(partial > 0 && partial < Int64(total))

        let again = try gov.json(["audit", "flush"])
        guard case .number(let appended)? = again["events_appended"], case .number(let present)? = again["events_already_present"] else {
            Issue.record("no flush report")
            return
        }
        #expect(Int64(appended) + partial == Int64(total))
        #expect(Int64(appended + present) <= Int64(total))
        #expect(try Self.count(url) == Int64(total))
        let events = try gov.run(["--json", "audit", "events", "-s", session]).stdout.split(separator: "\n")
        let numbers = try events.map { line -> Int in
            guard case .number(let i)? = try JSONParser.parse(String(line))["metadata"]?["i"] else { return -1 }
            return Int(i)
        }
        #expect(numbers == Array(1...total), "every event once, in order")
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test func placeholderWhenTheSpoolIsUnusableToo() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "sqlite:/nonexistent-dir/governance.db"
        _ = FileManager.default.createFile(atPath: gov.home + "/spool", contents: Data())
        let session = try SessionID.random().value
        let r = try gov.run(["--json", "audit", "log", "-a", "a", "-k", "k", "-s", session, "--metadata", "{\"x\":1}"])
        #expect(r.status == 0)
        let record = try JSONParser.parse(r.stdout)
        #expect(record["status"] == .string("unavailable"))
        #expect(record["hmac"] == .string(String(repeating: "0", count: 64)))
        #expect(record["metadata"] == .object([("audit.unavailable", .bool(true)), ("x", .int(1))]))
        #expect(r.stderr.contains("NOT recorded"))
    }

    /// `tail --follow` prints what another process appends.
    @Test(arguments: Backend.allCases)
    func tailFollowSeesEventsFromAnotherProcess(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "old", "-s", session]).status == 0)

        let process = try SpawnedProcess(governanceBinary(), ["--json", "audit", "tail", "--follow", "-n", "1", "--session", session],
                                         environment: gov.environment, captureStderr: false)
        process.send(nil)
        let collected = LineCollector()
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(process.stdoutFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                collected.append(Data(buffer[0..<n]))
            }
        }
        reader.start()
        defer {
            process.signal(SIGTERM)
            process.wait()
        }

        #expect(collected.waitFor(lines: 1), "the backlog line")
        for i in 1...3 { #expect(try gov.run(["audit", "log", "-a", "b", "-k", "new-\(i)", "-s", session]).status == 0) }
        _ = try gov.run(["audit", "log", "--batch", "-a", "c", "-s", session], stdin: (1...50).map { "{\"kind\":\"batch-\($0)\"}" }.joined(separator: "\n"))
        #expect(collected.waitFor(lines: 54), "saw \(collected.lines.count) lines")
        let kinds = try collected.lines.map { try JSONParser.parse($0)["kind"]?.stringValue ?? "" }
        #expect(kinds == ["old", "new-1", "new-2", "new-3"] + (1...50).map { "batch-\($0)" })
    }
}

/// Lines arriving on a pipe, gathered from the reading thread.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var _lines: [String] = []

    var lines: [String] { lock.withLock { _lines } }

    func append(_ data: Data) {
        lock.withLock {
            buffer.append(data)
            while let newline = buffer.firstIndex(of: 0x0A) {
                _lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
    }

    /// Waits up to 15 s for at least `count` lines.
    func waitFor(lines count: Int) -> Bool {
        for _ in 0..<300 {
            if lines.count >= count { return true }
            usleep(50_000)
        }
        return lines.count >= count
    }
}

import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// An unlucky operator and a hostile local user against the
/// built binary. Each test reproduces one reported attack.
@Suite struct OperationsAttackTests {
    static func sqlitePath(_ gov: Governance) -> String {
        guard case .sqlite(let path)? = try? Configuration.parseStoreURL(gov.environment["GOVERNANCE_DATABASE_URL"]!) else { return "" }
        return path
    }

    static func mode(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_mode & 0o7777)
    }

    /// The binary run through a shell with umask 000, so only the binary's own modes protect files.
    static func runWithOpenUmask(_ gov: Governance, _ arguments: [String]) throws -> ProcessResult {
        try runProcess("/bin/sh", ["-c", "umask 000; exec \"$0\" \"$@\"", governanceBinary()] + arguments, environment: gov.environment)
    }

    // MARK: 9. read-only commands never create anything

    @Test func readOnlyCommandsNeverCreateAStore() throws {
        let gov = try Governance()
        let typo = gov.home + "/typo.db"
        let session = try SessionID.random().value
        let commands: [[String]] = [["audit", "verify"], ["audit", "events"], ["audit", "trace", "-s", session],
                                    ["audit", "export"], ["audit", "tail"], ["audit", "sessions"], ["db", "status"]]
        for command in commands {
            let r = try gov.run(["--database-url", typo] + command)
            #expect(r.status == 3, "\(command): \(r.status) \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains(typo) && r.stderr.contains("governance init"), "\(command): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: typo), "\(command) created \(typo)")
        }
        // The embedded default: a home that does not exist stays absent.
        var fresh = gov
        let home = gov.home + "/never"
        fresh.environment["GOVERNANCE_HOME"] = home
        let r = try fresh.run(["audit", "verify"])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home))
    }

    @Test(arguments: Backend.allCases)
    func readOnlyCommandsDoNotMigrateAStoreWhoseSchemaIsBehind(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = db.url
        // An empty store: a SQLite file with no schema, or a PostgreSQL schema never migrated.
        try db.rawConnection().executeScript("CREATE TABLE unrelated (x INTEGER)")
        for command in [["audit", "verify"], ["audit", "events"], ["audit", "export"]] {
            let r = try gov.run(command)
            #expect(r.status == 3, "\(command): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("governance db migrate"), "\(command): \(r.stderr)")
        }
        #expect(try Migrations.currentVersion(db.rawConnection()) == 0, "a read-only command migrated the store")
    }

    @Test(arguments: Backend.allCases)
    func verifyOfASessionWithNoEventsExitsTwo(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value]).status == 0)
        let other = try SessionID.random().value
        let r = try gov.run(["audit", "verify", "--session", other])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains(other))
    }

    @Test(arguments: Backend.allCases)
    func verifyThatCheckedNothingSaysSoAndCanFail(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["db", "migrate"]).status == 0)
        let text = try gov.run(["audit", "verify"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("nothing to verify: the store holds no events"), "\(text.stdout)")
        let json = try gov.json(["audit", "verify"])
        #expect(json["rows_verified"] == .int(0) && json["empty"] == .bool(true))
        let required = try gov.run(["audit", "verify", "--require-events"])
        #expect(required.status == 20, "\(required.stdout) \(required.stderr)")
        #expect(required.stderr.contains("no events"))

        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value]).status == 0)
        #expect(try gov.run(["audit", "verify", "--require-events"]).status == 0)
        #expect(try gov.json(["audit", "verify"])["empty"] == .bool(false))
    }

    // MARK: 10. a secret is generated only for a store that holds no events

    @Test func missingSecretOfAPopulatedEmbeddedStoreIsNotReplaced() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_AUDIT_SECRET"] = nil
        let session = try SessionID.random().value
        let first = try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", session])
        #expect(first.status == 0 && first.stderr.contains("created a new audit secret"))
        let secret = gov.home + "/audit.secret"
        try FileManager.default.removeItem(atPath: secret)

        for command in [["audit", "verify"], ["audit", "log", "-a", "a", "-k", "k2", "-s", session]] {
            let r = try gov.run(command)
            #expect(r.status == 3, "\(command): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains(secret), "\(command): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: secret), "\(command) generated a new secret")
        }
        // A local SQLite store named by URL keeps its secret in the home too: the same rule holds.
        var named = gov
        named.environment["GOVERNANCE_DATABASE_URL"] = "sqlite:" + gov.home + "/named.db"
        named.environment["GOVERNANCE_AUDIT_SECRET"] = testSecret
        #expect(try named.run(["audit", "log", "-a", "a", "-k", "k", "-s", session]).status == 0)
        named.environment["GOVERNANCE_AUDIT_SECRET"] = nil
        let r = try named.run(["audit", "log", "-a", "a", "-k", "k2", "-s", session])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: secret))
    }

    @Test func readOnlyCommandsNeverGenerateASecret() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_AUDIT_SECRET"] = nil
        #expect(try gov.run(["db", "migrate"]).status == 0)
        let r = try gov.run(["audit", "verify"])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: gov.home + "/audit.secret"))
    }

    // MARK: 11. secret files and the embedded store's modes

    @Test func secretFileWithCRLFLosesTheWholeLineEnding() throws {
        var gov = try Governance(backend: .sqlite)
        let file = gov.home + "/crlf.secret"
        _ = FileManager.default.createFile(atPath: file, contents: Data((testSecret + "\r\n").utf8), attributes: [.posixPermissions: 0o600])
        gov.environment["GOVERNANCE_AUDIT_SECRET"] = nil
        gov.environment["GOVERNANCE_AUDIT_SECRET_FILE"] = file
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value]).status == 0)
        // The same secret given as a value verifies the chain: the \r was not part of the key.
        gov.environment["GOVERNANCE_AUDIT_SECRET_FILE"] = nil
        gov.environment["GOVERNANCE_AUDIT_SECRET"] = testSecret
        let r = try gov.run(["audit", "verify"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
    }

    @Test func secretFileThatIsAFIFOIsRefusedWithoutHanging() throws {
        var gov = try Governance(backend: .sqlite)
        let fifo = gov.home + "/fifo.secret"
        #expect(mkfifo(fifo, 0o600) == 0)
        gov.environment["GOVERNANCE_AUDIT_SECRET"] = nil
        gov.environment["GOVERNANCE_AUDIT_SECRET_FILE"] = fifo
        let process = try SpawnedProcess(governanceBinary(), ["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value],
                                         environment: gov.environment)
        process.send(nil)
        // A guard against hanging the suite, not a measure of speed.
        for _ in 0..<600 where process.isRunning { usleep(50_000) }
        let hung = process.isRunning
        if hung { process.signal(SIGKILL) }
        let result = process.finish()
        #expect(!hung, "audit log hung reading a FIFO secret file")
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("not a regular file"), "\(result.stderr)")
    }

    /// `audit log` with the secret in a file of the given mode; returns the file and the result.
    static func logWithSecretFile(mode: Int) throws -> (file: String, result: ProcessResult) {
        var gov = try Governance(backend: .sqlite)
        let file = gov.home + "/mode.secret"
        _ = FileManager.default.createFile(atPath: file, contents: Data((testSecret + "\n").utf8))
        #expect(chmod(file, mode_t(mode)) == 0)
        gov.environment["GOVERNANCE_AUDIT_SECRET"] = nil
        gov.environment["GOVERNANCE_AUDIT_SECRET_FILE"] = file
        return (file, try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value]))
    }

    @Test(arguments: [0o644, 0o604, 0o620, 0o602, 0o666])
    func secretFileOthersCanReadOrWriteIsRefused(mode: Int) throws {
        let (file, r) = try Self.logWithSecretFile(mode: mode)
        #expect(r.status == 3, "mode \(String(mode, radix: 8)): \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("chmod 600 \(file)"), "\(r.stderr)")
    }

    @Test(arguments: [0o600, 0o640, 0o400, 0o440])
    func secretFileOnlyItsOwnerAndGroupCanReadIsAccepted(mode: Int) throws {
        let r = try Self.logWithSecretFile(mode: mode).result
        #expect(r.status == 0, "mode \(String(mode, radix: 8)): \(r.stderr)")
    }

    @Test func embeddedStoreAndItsWALFilesAreOwnerOnlyWhateverTheUmask() throws {
        var gov = try Governance()
        let home = gov.home + "/home"
        gov.environment["GOVERNANCE_HOME"] = home
        let session = try SessionID.random().value
        let first = try Self.runWithOpenUmask(gov, ["audit", "log", "-a", "a", "-k", "k", "-s", session])
        #expect(first.status == 0, "\(first.stderr)")
        let db = home + "/governance.db"
        #expect(Self.mode(db) == 0o600, "governance.db is \(String(Self.mode(db) ?? 0, radix: 8))")
        #expect(Self.mode(home) == 0o700)
        // Hold a reader open so the WAL and shared-memory files outlive the writer.
        let reader = try SQLiteConnection(path: db)
        _ = try reader.queryFirst("SELECT COUNT(*) FROM governance_audit_events")
        #expect(try Self.runWithOpenUmask(gov, ["audit", "log", "-a", "a", "-k", "k2", "-s", session]).status == 0)
        for suffix in ["-wal", "-shm"] {
            #expect(Self.mode(db + suffix) == 0o600, "\(suffix) is \(String(Self.mode(db + suffix) ?? 0, radix: 8))")
        }
        // A SQLite store named by URL is created owner-only too.
        gov.environment["GOVERNANCE_DATABASE_URL"] = "sqlite:" + home + "/named.db"
        #expect(try Self.runWithOpenUmask(gov, ["audit", "log", "-a", "a", "-k", "k", "-s", session]).status == 0)
        #expect(Self.mode(home + "/named.db") == 0o600)
    }

    @Test(arguments: [0o777, 0o770, 0o757])
    func homeThatOthersCanWriteIsRefused(mode: Int) throws {
        let gov = try Governance()
        #expect(chmod(gov.home, mode_t(mode)) == 0)
        let r = try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value])
        #expect(r.status == 3, "mode \(String(mode, radix: 8)): \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("chmod go-w \(gov.home)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: gov.home + "/governance.db"))
    }

    // MARK: 15. passwords never reach output, and a rotated password keeps the spool

    @Test func passwordsInEveryFormAreRedactedFromOutput() throws {
        let base = try TestDatabase.postgresURL()
        var gov = try Governance()
        // The throwaway cluster trusts local connections, so the password is carried but unused.
        let url = base + "&password=hunter2-in-query"
        gov.environment["GOVERNANCE_DATABASE_URL"] = url
        #expect(try gov.run(["db", "migrate"]).status == 0)
        for arguments in [["db", "status"], ["--json", "db", "status"], ["--verbose", "db", "status"]] {
            let r = try gov.run(arguments)
            #expect(r.status == 0 || r.status == 3, "\(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains("hunter2"), "\(arguments): \(r.stdout) \(r.stderr)")
        }
        // Unreachable stores: the error, the spool warning and the spool's STORE file.
        let unreachable = [
            "postgresql://alice:hunter2-userinfo@/nodb?host=/nonexistent-socket-dir&connect_timeout=2",
            "postgresql:///nodb?host=/nonexistent-socket-dir&password=hunter2-query&connect_timeout=2",
            "postgresql:///nodb?host=/nonexistent-socket-dir&sslpassword=hunter2-ssl&connect_timeout=2",
            "host=/nonexistent-socket-dir dbname=nodb password='hunter2 conninfo' connect_timeout=2",
        ]
        for url in unreachable {
            gov.environment["GOVERNANCE_DATABASE_URL"] = url
            let status = try gov.run(["db", "status"])
            #expect(status.status == 4, "\(url): \(status.stderr)")
            #expect(!status.stderr.contains("hunter2"), "\(status.stderr)")
            let log = try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", try SessionID.random().value])
            #expect(log.status == 0 && log.stderr.contains("spooled"), "\(log.stderr)")
            #expect(!(log.stdout + log.stderr).contains("hunter2"), "\(log.stderr)")
        }
        let spool = gov.home + "/spool"
        for folder in try FileManager.default.contentsOfDirectory(atPath: spool) {
            let about = try String(contentsOfFile: spool + "/" + folder + "/STORE", encoding: .utf8)
            #expect(!about.contains("hunter2"), "\(about)")
        }
    }

    @Test func spoolIsKeyedByTheStoreWithoutItsPassword() throws {
        var gov = try Governance()
        let session = try SessionID.random().value
        func spoolTo(_ url: String) throws {
            gov.environment["GOVERNANCE_DATABASE_URL"] = url
            let r = try gov.run(["audit", "log", "-a", "a", "-k", "k", "-s", session])
            #expect(r.status == 0 && r.stderr.contains("spooled"), "\(r.stderr)")
        }
        func folders() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: gov.home + "/spool")) }
        try spoolTo("postgresql://alice:old-password@/db1?host=/nonexistent-socket-dir&connect_timeout=2")
        try spoolTo("postgresql://alice:rotated-password@/db1?host=/nonexistent-socket-dir&connect_timeout=2")
        try spoolTo("postgresql://alice@/db1?host=/nonexistent-socket-dir&connect_timeout=2&password=third")
        #expect(try folders().count == 1, "a rotated password stranded spooled events")
        // Another database, user or schema is another store.
        try spoolTo("postgresql://alice:old-password@/db2?host=/nonexistent-socket-dir&connect_timeout=2")
        try spoolTo("postgresql://bob:old-password@/db1?host=/nonexistent-socket-dir&connect_timeout=2")
        try spoolTo("postgresql://alice:old-password@/db1?host=/nonexistent-socket-dir&connect_timeout=2&options=-csearch_path%3Dother")
        #expect(try folders().count == 4)
    }

    // MARK: 16. tail -f prints the newest N, then each new event once

    @Test(arguments: Backend.allCases)
    func tailFollowPrintsTheNewestNThenEachNewEventOnce(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let session = try SessionID.random().value
        _ = try gov.run(["audit", "log", "--batch", "-a", "a", "-s", session], stdin: (1...28).map { "{\"kind\":\"old-\($0)\"}" }.joined(separator: "\n"))
        let tail = try Follower(gov, ["--json", "audit", "tail", "-f", "-n", "2"])
        defer { tail.stop() }
        #expect(tail.out.waitFor(lines: 2))
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "new-1", "-s", session]).status == 0)
        #expect(tail.out.waitFor(lines: 3))
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "new-2", "-s", session]).status == 0)
        #expect(tail.out.waitFor(lines: 4))
        let kinds = try tail.out.lines.prefix(4).map { try JSONParser.parse($0)["kind"]?.stringValue ?? "" }
        #expect(kinds == ["old-27", "old-28", "new-1", "new-2"])
    }

    @Test func tailFollowSurvivesAPostgresRestart() throws {
        let server = try PrivatePostgres()
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = server.url
        #expect(try gov.run(["db", "migrate"]).status == 0)
        let session = try SessionID.random().value
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "before", "-s", session]).status == 0)
        let tail = try Follower(gov, ["--json", "audit", "tail", "-f", "-n", "1"])
        defer { tail.stop() }
        #expect(tail.out.waitFor(lines: 1))
        try server.stop()
        #expect(tail.err.waitFor(lines: 1), "no word on stderr that the store was lost")
        try server.start()
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "after", "-s", session]).status == 0)
        #expect(tail.out.waitFor(lines: 2), "tail did not come back after the restart: \(tail.err.lines)")
        let kinds = try tail.out.lines.map { try JSONParser.parse($0)["kind"]?.stringValue ?? "" }
        #expect(kinds == ["before", "after"])
        #expect(tail.err.lines.contains { $0.contains("lost") }, "\(tail.err.lines)")
        #expect(tail.err.waitFor(lines: 2) && tail.err.lines.contains { $0.contains("regained") }, "\(tail.err.lines)")
        #expect(tail.isRunning)
    }

    @Test func tailFollowNoticesTheSQLiteFileWasReplaced() throws {
        let gov = try Governance(backend: .sqlite)
        let path = Self.sqlitePath(gov)
        let session = try SessionID.random().value
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "original", "-s", session]).status == 0)
        let tail = try Follower(gov, ["--json", "audit", "tail", "-f", "-n", "1"])
        defer { tail.stop() }
        #expect(tail.out.waitFor(lines: 1))
        // A restored copy put in place: another file (inode) under the same name.
        var other = gov
        other.environment["GOVERNANCE_DATABASE_URL"] = "sqlite:" + path + ".restored"
        #expect(try other.run(["audit", "log", "-a", "a", "-k", "restored", "-s", session]).status == 0)
        #expect(rename(path + ".restored", path) == 0)
        #expect(tail.err.waitFor(lines: 1), "no word that the file was replaced")
        #expect(tail.err.lines.first?.contains("replaced") == true, "\(tail.err.lines)")
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "after-restore", "-s", session]).status == 0)
        #expect(tail.out.waitFor(lines: 2), "tail kept reading the old file")
        let kinds = try tail.out.lines.map { try JSONParser.parse($0)["kind"]?.stringValue ?? "" }
        #expect(kinds == ["original", "after-restore"])
    }

    // MARK: 17. concurrent flushes report only real damage

    /// One spool file per event: small files make one flush overtake another between listing a
    /// file and reading it.
    static func spoolOneFilePerEvent(_ gov: Governance, session: String, total: Int) {
        let spooled = Counter()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in stride(from: worker, to: total, by: 4) {
                let r = try? gov.run(["audit", "log", "-a", "a", "-k", "k\(i)", "-s", session])
                if r?.status == 0, r?.stderr.contains("spooled") == true { spooled.add() }
            }
        }
        #expect(spooled.value == total)
    }

    /// Four `audit flush` at once: none reports damage, nothing is set aside, each event once.
    static func flushConcurrently(_ gov: Governance, total: Int) throws {
        let flushes = try (0..<4).map { _ in try SpawnedProcess(governanceBinary(), ["audit", "flush"], environment: gov.environment) }
        for f in flushes { f.send(nil) }
        for r in flushes.map({ $0.finish() }) {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stderr.contains("damaged"), "\(r.stderr)")
        }
        for folder in try FileManager.default.contentsOfDirectory(atPath: gov.home + "/spool") {
            #expect(!FileManager.default.fileExists(atPath: gov.home + "/spool/" + folder + "/rejected"), "a replayed file was set aside")
        }
        #expect(try AuditDepthTests.count(gov.environment["GOVERNANCE_DATABASE_URL"]!) == Int64(total))
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test func concurrentFlushesReportNoFalseDamageOnSQLite() throws {
        var gov = try Governance()
        let later = gov.home + "/later"
        gov.environment["GOVERNANCE_DATABASE_URL"] = "sqlite:\(later)/governance.db"
        // Spooled while the store's folder is missing.
        Self.spoolOneFilePerEvent(gov, session: try SessionID.random().value, total: 160)
        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: true)
        #expect(try gov.run(["db", "migrate"]).status == 0)
        try Self.flushConcurrently(gov, total: 160)
    }

    @Test func concurrentFlushesReportNoFalseDamageOnPostgres() throws {
        let server = try PrivatePostgres()
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = server.url
        #expect(try gov.run(["db", "migrate"]).status == 0)
        // Spooled while the server is stopped.
        try server.stop()
        Self.spoolOneFilePerEvent(gov, session: try SessionID.random().value, total: 160)
        try server.start()
        try Self.flushConcurrently(gov, total: 160)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// A long-running `governance` whose stdout and stderr lines are collected as they arrive.
final class Follower: @unchecked Sendable {
    let process: SpawnedProcess
    let out = LineCollector()
    let err = LineCollector()

    init(_ gov: Governance, _ arguments: [String]) throws {
        process = try SpawnedProcess(governanceBinary(), arguments, environment: gov.environment)
        process.send(nil)
        for (fd, collector) in [(process.stdoutFD, out), (process.stderrFD, err)] {
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    collector.append(Data(buffer[0..<n]))
                }
            }.start()
        }
    }

    var isRunning: Bool { process.isRunning }

    func stop() {
        process.signal(SIGTERM)
        process.wait()
    }
}

import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The reproductions of the enforcement review, run through the built binary as an agent would.
@Suite struct HardeningCommandTests {
    static func applied(_ backend: Backend, _ policy: String) throws -> Governance { try Governance.applying(policy, backend: backend) }

    /// `café` allowed in NFC; the NFD form is another tool, so alternating them under
    /// `max_calls: 2` runs two calls, not four.
    @Test(arguments: Backend.allCases)
    func alternatingNFCAndNFDRunsNoMoreThanMaxCalls(backend: Backend) throws {
        let gov = try Self.applied(backend, """
            agents:
              a:
                scope: {allowed_tools: ["caf\u{E9}"]}
                loop: {window_seconds: 60, max_calls: 2, action: raise}
            """)
        let session = try SessionID.random().value
        var ran = 0
        for i in 0..<4 {
            let tool = i % 2 == 0 ? "caf\u{E9}" : "cafe\u{301}"
            guard try gov.run(["scope", "check", "-a", "a", "-s", session, "--tool", tool]).status == 0 else { continue }
            if try gov.run(["loop", "record", "-a", "a", "-s", session, "--tool", tool]).status == 0 { ran += 1 }
        }
        #expect(ran == 2)
    }

    @Test(arguments: Backend.allCases)
    func ambiguousAPIPathsAreScopeViolations(backend: Backend) throws {
        let gov = try Self.applied(backend, """
            agents:
              a:
                scope: {allowed_apis: ["GET https://api.example.com/v1/*"]}
            """)
        #expect(try gov.run(["scope", "check", "-a", "a", "--api", "GET https://api.example.com/v1/items"]).status == 0)
        for path in ["/v1/..;/admin", "/v1/%2e%2e;/admin", "/v1/..%3b/admin", "/v1/%252e%252e", "/v1/%00", "/v1/%zz", "/v1/%",
                     "/v1/a%2", "/v1/..%00/admin", "/v1/%252e%252e/admin", "/v1/%c0%ae%c0%ae/admin"] {
            let r = try gov.run(["scope", "check", "-a", "a", "--api", "GET https://api.example.com" + path])
            #expect(r.status == 10, "\(path): \(r.stderr)")
        }
    }

    /// A store file that is not a database, or whose pages are damaged, is an integrity failure:
    /// `--fail-open` does not let a killed (or any) agent through.
    @Test func aCorruptStoreFileFailsClosedEvenWithFailOpen() throws {
        let garbage = try Governance()
        try Data(repeating: 0x5A, count: 16_384).write(to: URL(fileURLWithPath: garbage.home + "/governance.db"))
        let r = try garbage.run(["scope", "check", "--fail-open", "-a", "a", "--tool", "t"])
        #expect(r.status == 20, "\(r.stderr)")

        let damaged = try Governance()
        #expect(try damaged.run(["presence", "kill", "a", "--reason", "test", "--force"]).status == 0)
        let path = damaged.home + "/governance.db"
        // The pages are in the database file itself once the WAL is checkpointed (closing does not).
        try SQLiteConnection(path: path, mode: .readWrite).executeScript("PRAGMA wal_checkpoint(TRUNCATE);")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 100..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i &* 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let killed = try damaged.run(["scope", "check", "--fail-open", "-a", "a", "--tool", "t"])
        #expect(killed.status == 20, "\(killed.stderr)")
    }

    /// Runs the binary; a FIFO it blocks on is opened for writing after `seconds`, so a
    /// regression shows as a slow failure, never a hung suite.
    static func timed(_ gov: Governance, _ args: [String], unblocking fifo: String, after seconds: Double = 5) throws -> (ProcessResult, Double) {
        unblockFIFO(fifo, after: seconds)
        let start = Date()
        let r = try gov.run(args)
        return (r, Date().timeIntervalSince(start))
    }

    @Test func documentsNamedByAFIFOAreRefusedNotWaitedOn() throws {
        var gov = try Governance()
        let fifo = gov.home + "/policy.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)
        let (apply, applyTime) = try Self.timed(gov, ["policy", "apply", "-f", fifo], unblocking: fifo)
        #expect(apply.status == 2 && applyTime < 4, "\(applyTime) s: \(apply.stderr)")
        #expect(apply.stderr.contains("not a regular file"))

        gov.environment["GOVERNANCE_PRICING_FILE"] = fifo
        let (models, modelsTime) = try Self.timed(gov, ["cost", "models"], unblocking: fifo)
        #expect(models.status == 2 && modelsTime < 4, "\(modelsTime) s: \(models.stderr)")
        #expect(models.stderr.contains("not a regular file"))
    }

    @Test func policyApplyRefusesARelativeCustomCommand() throws {
        let gov = try Governance()
        let file = gov.home + "/policy.yaml"
        try """
            agents:
              a:
                contracts:
                  t:
                    pre:
                      - {check: custom, params: {command: ["check-ticket.sh", "x"]}}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try gov.run(["policy", "apply", "-f", file])
        #expect(r.status == 2)
        #expect(r.stderr.contains("absolute path"), "\(r.stderr)")
        #expect(try gov.run(["policy", "show", "a"]).status == 11, "nothing was applied")
    }

    // MARK: compliance report --output

    @Test(arguments: Backend.allCases)
    func reportOutputWritesIntoAFIFOInPlace(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["init"]).status == 0)
        let fifo = gov.home + "/report.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = ReceivedBox()
        Thread.detachNewThread {
            let fd = open(fifo, O_RDONLY)
            guard fd >= 0 else { return }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while case let n = read(fd, &chunk, chunk.count), n > 0 { bytes += chunk[..<n] }
            close(fd)
            received.set(String(decoding: bytes, as: UTF8.self))
        }
        let r = try gov.run(["compliance", "report", "--kind", "summary", "--output", fifo])
        #expect(r.status == 0, "\(r.stderr)")
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced")
        for _ in 0..<300 where received.get() == nil { usleep(10_000) }
        // A reader still waiting (the FIFO never written) is let go.
        let release = open(fifo, O_WRONLY | O_NONBLOCK)
        if release >= 0 { close(release) }
        #expect(received.get()?.contains("summary") == true)
    }

    @Test func reportOutputNeverFollowsASymlinkOutOfItsDirectory() throws {
        let gov = try Governance(backend: .sqlite)
        #expect(try gov.run(["init"]).status == 0)
        let outside = try makeTemporaryDirectory() + "/victim"
        try "precious".write(toFile: outside, atomically: true, encoding: .utf8)
        let link = gov.home + "/report.txt"
        #expect(symlink(outside, link) == 0)
        let r = try gov.run(["compliance", "report", "--kind", "summary", "--output", link])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "precious")
        var st = stat()
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)

        // A planted link where the temporary file would go is not followed either.
        let planted = gov.home + "/second.txt.tmp-governance"
        #expect(symlink(outside, planted) == 0)
        let second = try gov.run(["compliance", "report", "--kind", "summary", "--output", gov.home + "/second.txt"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "precious")
        #expect(try String(contentsOfFile: gov.home + "/second.txt", encoding: .utf8).contains("summary"))
        #expect(try !FileManager.default.contentsOfDirectory(atPath: gov.home).contains { $0.contains("second.txt.") && $0 != "second.txt.tmp-governance" })

        // A regular file is replaced whole.
        try "old".write(toFile: gov.home + "/second.txt", atomically: true, encoding: .utf8)
        #expect(try gov.run(["compliance", "report", "--kind", "summary", "--output", gov.home + "/second.txt"]).status == 0)
        #expect(try String(contentsOfFile: gov.home + "/second.txt", encoding: .utf8).contains("summary"))
    }

    @Test func reportOutputToDevNullLeavesTheDevice() throws {
        let gov = try Governance(backend: .sqlite)
        #expect(try gov.run(["init"]).status == 0)
        let r = try gov.run(["compliance", "report", "--kind", "summary", "--output", "/dev/null"])
        #expect(r.status == 0, "\(r.stderr)")
        var st = stat()
        #expect(lstat("/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
        #expect(!FileManager.default.fileExists(atPath: "/dev/null.tmp-governance"))
    }
}

final class ReceivedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func set(_ text: String) { lock.withLock { value = text } }
    func get() -> String? { lock.withLock { value } }
}

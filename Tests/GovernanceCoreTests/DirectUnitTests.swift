import Foundation
@testable import GovernanceCore
import GovernanceTestSupport
import Testing

/// The pieces the commands reach only through a store or a contract, tested on their own.
@Suite struct ConnectionStringTests {
    @Test func aURLIsTakenApartAndPutBackAsWritten() throws {
        for url in ["postgresql://alice:s3cret@db.example:5432/gov?sslmode=require",
                    "postgres://db.example/gov", "postgresql://alice@h1,h2/gov?target_session_attrs=read-write",
                    "postgresql://bob:p@ss@host/db"] {
            let parsed = try #require(PostgresURL(url))
            #expect(parsed.text(redacting: false) == url, "\(url)")
        }
        let parsed = try #require(PostgresURL("postgresql://bob:p@ss@host/db?password=x&sslmode=verify-full"))
        #expect(parsed.user == "bob" && parsed.password == "p@ss" && parsed.location == "host/db")
        #expect(parsed.text(redacting: true) == "postgresql://bob:***@host/db?password=***&sslmode=verify-full")
        #expect(PostgresURL("/var/lib/governance.db") == nil)
    }

    @Test func percentEncodedPasswordKeysAreMaskedToo() throws {
        let parsed = try #require(PostgresURL("postgresql://h/db?pass%77ord=x&SSLPassword=y&user=u"))
        #expect(parsed.text(redacting: true) == "postgresql://h/db?pass%77ord=***&SSLPassword=***&user=u")
    }

    @Test func conninfoPairsAreReadAndPasswordsMasked() {
        #expect(Conninfo.looksLikeConninfo("host=/tmp dbname=gov"))
        #expect(!Conninfo.looksLikeConninfo("governance.db"))
        #expect(!Conninfo.looksLikeConninfo("postgresql://h/db"))
        #expect(!Conninfo.looksLikeConninfo("colour=blue"), "only libpq's keywords make a conninfo string")
        let pairs = Conninfo.pairs(#"host=h password='it\'s a secret' dbname = gov"#)
        #expect(pairs.map(\.key) == ["host", "password", "dbname"])
        #expect(pairs[1].value == "it's a secret")
        let redacted = Conninfo.redacted(#"host=h password='it\'s a secret' sslpassword=x dbname=gov"#)
        #expect(redacted == "host=h password=*** sslpassword=*** dbname=gov")
        #expect(!Conninfo.redacted("host=h password='unterminated").contains("unterminated"))
    }
}

/// `custom` contract conditions: run without a shell by absolute path, in their own group, with
/// the agent's names in the environment and the usual signals at their defaults; killed at the timeout.
@Suite struct CustomCheckTests {
    /// The check as `/bin/sh FILE`: a script written and executed at once can fail with ETXTBSY
    /// while another test forks with the file still open for writing.
    static func script(_ body: String) throws -> [String] {
        let path = try makeTemporaryDirectory() + "/check.sh"
        try "\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return ["/bin/sh", path]
    }

    @Test func exitZeroPassesAndAnythingElseFailsNamingIt() throws {
        #expect(CustomCheck.run(["/bin/true"], timeoutSeconds: 5, environment: []).failure == nil)
        #expect(CustomCheck.run(["/bin/false"], timeoutSeconds: 5, environment: []).failure == "\"/bin/false\" exited 1")
        let signalled = CustomCheck.run(try Self.script("kill -TERM $$"), timeoutSeconds: 5, environment: [])
        #expect(signalled.failure?.contains("ended by signal 15") == true, "\(String(describing: signalled.failure))")
    }

    @Test func onlyAnAbsolutePathIsRun() {
        #expect(CustomCheck.run(["true"], timeoutSeconds: 5, environment: []).failure?.contains("not an absolute path") == true)
        #expect(CustomCheck.run([], timeoutSeconds: 5, environment: []).failure == "the command is empty")
        #expect(CustomCheck.run(["/nonexistent/check"], timeoutSeconds: 5, environment: []).failure?.contains("could not be started") == true)
    }

    @Test func theCheckSeesTheAgentsNamesAndStartsClean() throws {
        let out = try makeTemporaryDirectory() + "/seen"
        // Its own process group, no blocked signals, SIGTERM at its default, stdin /dev/null.
        let check = try Self.script("""
            echo "$GOVERNANCE_AGENT_ID $GOVERNANCE_TOOL" > \(out)
            ps -o pgid= -p $$ | tr -d ' ' >> \(out)
            read line && echo "stdin: $line" >> \(out)
            exec /bin/grep -E '^(SigBlk|SigIgn)' /proc/self/status >> \(out)
            """)
        let result = CustomCheck.run(check, timeoutSeconds: 10, environment: [("GOVERNANCE_AGENT_ID", "bot"), ("GOVERNANCE_TOOL", "charge")])
        #expect(result.failure == nil)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "bot charge")
        #expect(lines.count > 1 && lines[1] != String(getpgrp()), "a process group of its own")
        #expect(lines.contains("SigBlk:\t0000000000000000"), "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("stdin:") }, "stdin is /dev/null")
        // SIGTERM (bit 15) is not ignored even though the test runner may ignore signals.
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) } ?? 0
        for signal in SpawnAttributes.defaulted { #expect(ignored & (1 << UInt64(signal - 1)) == 0, "signal \(signal) at its default") }
    }

    @Test func aCheckPastItsTimeoutIsKilledWithItsGroup() throws {
        let pidFile = try makeTemporaryDirectory() + "/child"
        // The check leaves a child in its group; both must be gone after the timeout.
        let check = try Self.script("sh -c 'echo $$ > \(pidFile); exec sleep 30' & sleep 30")
        let started = Date()
        let result = CustomCheck.run(check, timeoutSeconds: 2, environment: [])
        #expect(result.failure?.contains("did not finish within 2 s and was killed") == true, "\(String(describing: result.failure))")
        #expect(Date().timeIntervalSince(started) < 10)
        let child = try #require(Int32((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Gone, or a zombie waiting for whoever adopted it: not running.
        #expect(waitUntil(5) {
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }, "the check's child \(child) was killed with its group")
    }
}

/// `ChildProcess.stdoutFD`: the command writes straight into the caller's descriptor (the MCP
/// proxy reads its server this way), nothing is captured or hashed, and the command is still
/// contained and waited for.
@Suite struct ChildProcessOutputTests {
    @Test func aCommandsStdoutCanBeTheCallersDescriptor() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        var child = ChildProcess(argv: ["/bin/sh", "-c", "echo one; echo two >&1; exit 3"])
        child.stdoutFD = fds[1]
        let finished = try child.run()
        close(fds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        #expect(String(decoding: output, as: UTF8.self) == "one\ntwo\n")
        #expect(finished.ending == .exited(3))
        #expect(finished.stdoutHash == nil, "nothing was captured")
    }
}

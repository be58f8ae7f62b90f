import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `ChildProcess` on its own (in the probe's process: a supervisor adopts and stops children it
/// did not have when the step began, which here would be other tests' processes).
@Suite struct ChildProcessTests {
    static func run(_ command: [String], timeout: Int = 0, stopFile: String = "/nonexistent", capture: Bool = false) throws -> JSONValue {
        let r = try runProcess(SwiftAPITests.probe(), ["child", String(timeout), stopFile, capture ? "1" : "0", "--"] + command,
                               environment: ["PATH": "/usr/bin:/bin"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONParser.parse(String(r.stdout.split(separator: "\n").last ?? ""))
    }

    @Test func statusesAndSignalsComeThrough() throws {
        #expect(try Self.run(["/bin/sh", "-c", "exit 7"])["ending"] == .object([("exited", .int(7))]))
        let signalled = try Self.run(["/bin/sh", "-c", "kill -KILL $$"])
        #expect(signalled["ending"] == .object([("signaled", .int(9))]) && signalled["exit_status"] == .int(137))
    }

    @Test func aCommandThatCannotStartSaysWhy() throws {
        #expect(try Self.run(["/nonexistent/tool"])["exit_status"] == .int(127))
        let dir = try makeTemporaryDirectory()
        let notExecutable = dir + "/tool"
        try "#!/bin/sh\n".write(toFile: notExecutable, atomically: true, encoding: .utf8)
        #expect(try Self.run([notExecutable])["exit_status"] == .int(126))
    }

    @Test func capturedOutputIsHashed() throws {
        let result = try Self.run(["/bin/sh", "-c", "printf 'hello\\n'"], capture: true)
        #expect(result["stdout_sha256"] == .string(Digest.sha256Hex("hello\n")))
        #expect(try Self.run(["/bin/true"])["stdout_sha256"] == .null)
    }

    @Test func theTimeoutStopsTheWholeTree() throws {
        let result = try Self.run(["/bin/sh", "-c", "sleep 60 & sleep 60"], timeout: 1)
        #expect(result["ending"] == .object([("stopped", .string("timeout"))]) && result["exit_status"] == .int(124))
        #expect(result["stopped"]?.arrayValue?.contains(.string("sleep")) == true, "\(result)")
    }

    @Test func theKillSwitchStopsItWith15() throws {
        let stop = try makeTemporaryDirectory() + "/stop"
        FileManager.default.createFile(atPath: stop, contents: nil)
        let result = try Self.run(["/bin/sleep", "60"], stopFile: stop)
        #expect(result["ending"] == .object([("stopped", .string("kill_switch"))]) && result["exit_status"] == .int(15))
    }
}

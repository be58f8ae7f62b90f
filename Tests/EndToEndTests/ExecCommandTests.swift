import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `governance exec` through the built binary, on both stores: what is denied never runs, what is
/// allowed runs once between a linked tool.call and tool.result, statuses and signals come through,
/// and a kill or a timeout stops a running command.
@Suite struct ExecCommandTests {
    static let policy = """
    agents:
      bot:
        scope: {allowed_tools: [step, charge]}
        contracts:
          charge:
            pre:
              - {check: hitl_approved, message: "Charges need approval", params: {kind: charge.customer}}
    """

    static func applied(_ backend: Backend) throws -> Governance {
        let gov = try Governance(backend: backend)
        let r = try gov.run(["policy", "apply", "-f", "-"], stdin: policy)
        #expect(r.status == 0, "\(r.stderr)")
        return gov
    }

    static func events(_ gov: Governance, _ session: String) throws -> [JSONValue] {
        try gov.run(["--json", "audit", "events", "--session", session]).stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    static func lines(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// Waits for the child to say it is running (a file it creates); not a timing assertion.
    static func waitFor(_ path: String) {
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: path) { Thread.sleep(forTimeInterval: 0.05) }
    }

    @Test(arguments: Backend.allCases)
    func aDeniedToolNeverRuns(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let marker = gov.home + "/ran"
        let session = try SessionID.random().value
        let denied = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "delete_all", "--", "touch", marker])
        #expect(denied.status == 10)
        #expect(try gov.run(["exec", "-a", "stranger", "-t", "step", "--", "touch", marker]).status == 11)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "test", "--by", "dave"]).status == 0)
        #expect(try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--", "touch", marker]).status == 15)
        #expect(!FileManager.default.fileExists(atPath: marker), "the command never started")
        #expect(try Self.events(gov, session).allSatisfy { $0["kind"] != .string("tool.call") })
    }

    @Test(arguments: Backend.allCases)
    func anAllowedToolRunsOnceBetweenALinkedCallAndResult(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let count = gov.home + "/count"
        let r = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--capture-output", "--", "sh", "-c", "echo once >> \"$0\"; echo out; exit 7", count])
        #expect(r.status == 7, "\(r.stderr)")
        #expect(r.stdout == "out\n", "stdout passes through")
        #expect(Self.lines(count) == 1)
        let events = try Self.events(gov, session)
        let call = try #require(events.first { $0["kind"] == .string("tool.call") })
        let result = try #require(events.first { $0["kind"] == .string("tool.result") })
        #expect(result["metadata"]?["call_id"] == call["metadata"]?["call_id"])
        #expect(result["metadata"]?["call_seq"] == call["seq"])
        #expect(result["metadata"]?["exit_status"] == .int(7))
        #expect(result["metadata"]?["stdout_sha256"] == .string(Digest.sha256Hex("out\n")))
        #expect(call["metadata"]?["argv_sha256"] == .string(ExecEvents.argvHash(["sh", "-c", "echo once >> \"$0\"; echo out; exit 7", count])))
        #expect(result["metadata"]?["duration_us"]?.stringValue == nil && result["metadata"]?["duration_us"] != nil)

        let signaled = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--", "sh", "-c", "kill -KILL $$"])
        #expect(signaled.status == 137)
        #expect(try gov.run(["exec", "-a", "bot", "-t", "step", "--", gov.home + "/no-such-program"]).status == 127)
        let hashed = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--hash-stdin", "--", "cat"], stdin: "input bytes")
        #expect(hashed.status == 0 && hashed.stdout == "input bytes")
        let calls = try Self.events(gov, session).filter { $0["kind"] == .string("tool.call") }
        #expect(calls.last?["metadata"]?["stdin_sha256"] == .string(Digest.sha256Hex("input bytes")))
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func sigtermToExecReachesTheChild(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let ready = gov.home + "/ready", got = gov.home + "/got"
        let script = "trap 'echo TERM > \(got); exit 3' TERM; touch \(ready); while :; do sleep 0.05; done"
        let exec = try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-t", "step", "--", "sh", "-c", script], environment: gov.environment)
        exec.send(nil)
        Self.waitFor(ready)
        exec.signal(SIGTERM)
        let r = exec.finish()
        #expect(r.status == 3, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: got))
    }

    @Test(arguments: Backend.allCases)
    func aKillFromAnotherProcessStopsTheRunningCommand(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let ready = gov.home + "/ready"
        // The child ignores SIGTERM: only the SIGKILL after the grace period ends it.
        let script = "trap '' TERM; touch \(ready); while :; do sleep 0.05; done"
        let exec = try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-s", session, "-t", "step", "--kill-grace", "1", "--", "sh", "-c", script],
                                      environment: gov.environment)
        exec.send(nil)
        Self.waitFor(ready)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "runaway", "--by", "dave"]).status == 0)
        let r = exec.finish()
        #expect(r.status == 15, "\(r.stderr)")
        #expect(r.stderr.contains("killed"))
        let result = try #require(try Self.events(gov, session).first { $0["kind"] == .string("tool.result") })
        #expect(result["metadata"]?["ended_by"] == .string("kill_switch"))
        #expect(result["metadata"]?["signal"] == .int(9))
    }

    @Test(arguments: Backend.allCases)
    func aTimeoutExits124(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let r = try gov.run(["exec", "-a", "bot", "-t", "step", "--timeout", "1", "--kill-grace", "1", "--", "sleep", "30"])
        #expect(r.status == 124, "\(r.stderr)")
    }

    /// A contract needing approval exits 14 until an approval is granted, then runs once, and the
    /// approval cannot be used again.
    @Test(arguments: Backend.allCases)
    func anApprovedStepRunsOnce(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let count = gov.home + "/charges"
        let step = ["exec", "-a", "bot", "-t", "charge", "--", "sh", "-c", "echo charged >> \"$0\"", count]
        let refused = try gov.run(step)
        #expect(refused.status == 14 && refused.stderr.contains("Charges need approval"))
        // The approval is for this one step: this tool, these arguments.
        let issued = try gov.json(["gates", "request", "--kind", "charge.customer", "--agent", "bot", "--tool", "charge", "--"] + Array(step.dropFirst(6)))
        #expect(try gov.run(["gates", "grant", "-", "--by", "dave"], stdin: issued["token"]!.stringValue! + "\n").status == 0)
        #expect(try gov.run(step).status == 0)
        #expect(try gov.run(step).status == 14)
        #expect(Self.lines(count) == 1)
    }
}

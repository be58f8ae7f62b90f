import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// A governed step is its whole process tree: after a kill, a timeout or the command's own exit,
/// nothing it started survives, whether it ignores SIGTERM, double-forks or calls setsid(); with
/// the cgroup and with the /proc fallback, on both stores.
@Suite struct ExecContainmentTests {
    enum Containment: String, CaseIterable, Sendable { case cgroup, processTree = "process_tree" }

    static let cases: [(Backend, Containment)] = Backend.allCases.flatMap { b in Containment.allCases.map { (b, $0) } }

    static func governance(_ backend: Backend, _ containment: Containment) throws -> Governance {
        var gov = try ExecCommandTests.applied(backend)
        if containment == .processTree { gov.environment["GOVERNANCE_EXEC_CONTAINMENT"] = "process_tree" }
        return gov
    }

    /// Alive: /proc/PID exists and is not a zombie.
    static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// The pids the step's processes wrote, one per line (each writes `$$` once it is running).
    static func pids(_ path: String, count: Int) -> [Int32] {
        for _ in 0..<600 {
            let found = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
            if found.count >= count { return found }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return []
    }

    static func lastResult(_ gov: Governance, _ session: String) throws -> JSONValue {
        try #require(try ExecCommandTests.events(gov, session).last { $0["kind"] == .string("tool.result") })
    }

    /// The reproduction: a grandchild that ignores SIGTERM outlived a kill, because the
    /// direct child died and the SIGKILL was never sent.
    @Test(arguments: cases)
    func aKilledStepLeavesNoDescendant(backend: Backend, containment: Containment) throws {
        let gov = try Self.governance(backend, containment)
        let session = try SessionID.random().value
        let pidFile = gov.home + "/pids"
        let script = "(trap '' TERM; echo $$ >/dev/null; sh -c 'echo $$ >> \"$0\"; trap \"\" TERM; exec sleep 120' \(pidFile)) & wait"
        let exec = try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-s", session, "-t", "step", "--kill-grace", "1", "--", "sh", "-c", script],
                                      environment: gov.environment)
        exec.send(nil)
        let grandchild = try #require(Self.pids(pidFile, count: 1).first)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "runaway"]).status == 0)
        let r = exec.finish()
        #expect(r.status == 15, "\(r.stderr)")
        #expect(!Self.alive(grandchild), "the grandchild that ignores SIGTERM was killed")
        let result = try Self.lastResult(gov, session)
        #expect(result["metadata"]?["ended_by"] == .string("kill_switch"))
        #expect(result["metadata"]?["containment"] == .string(containment.rawValue))
        let stopped = result["metadata"]?["stopped_processes"]?.arrayValue ?? []
        let named = stopped.first { (entry: JSONValue) in entry["pid"] == .int(Int(grandchild)) }
        #expect(named?["signal"] == .string("SIGKILL") && named?["name"] == .string("sleep"), "tool.result names the process it had to kill: \(stopped)")
    }

    /// A double fork into a new session (a daemon) is still stopped at the timeout.
    @Test(arguments: cases)
    func aTimedOutStepLeavesNoDaemon(backend: Backend, containment: Containment) throws {
        let gov = try Self.governance(backend, containment)
        let session = try SessionID.random().value
        let pidFile = gov.home + "/pids"
        let daemon = "setsid sh -c 'echo $$ >> \"$0\"; trap \"\" TERM HUP; while :; do sleep 0.1; done' \(pidFile) &"
        let r = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--timeout", "1", "--kill-grace", "1", "--",
                             "sh", "-c", "(\(daemon)) ; sleep 30"])
        #expect(r.status == 124, "\(r.stderr)")
        let daemonPID = try #require(Self.pids(pidFile, count: 1).first)
        #expect(!Self.alive(daemonPID), "the setsid daemon was stopped")
        #expect(try Self.lastResult(gov, session)["metadata"]?["ended_by"] == .string("timeout"))
    }

    /// The same daemon is stopped by a kill: SIGKILL after the grace period, since it ignores
    /// SIGTERM and SIGHUP, and `tool.result` names it.
    @Test(arguments: cases)
    func aKilledStepLeavesNoDaemon(backend: Backend, containment: Containment) throws {
        let gov = try Self.governance(backend, containment)
        let session = try SessionID.random().value
        let pidFile = gov.home + "/pids"
        let daemon = "setsid sh -c 'echo $$ >> \"$0\"; trap \"\" TERM HUP; while :; do sleep 0.1; done' \(pidFile) &"
        let exec = try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-s", session, "-t", "step", "--kill-grace", "1", "--",
                                                           "sh", "-c", "(\(daemon)) ; sleep 30"], environment: gov.environment)
        exec.send(nil)
        let daemonPID = try #require(Self.pids(pidFile, count: 1).first)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "runaway"]).status == 0)
        let r = exec.finish()
        #expect(r.status == 15, "\(r.stderr)")
        #expect(!Self.alive(daemonPID), "the setsid daemon was stopped")
        let result = try Self.lastResult(gov, session)
        #expect(result["metadata"]?["ended_by"] == .string("kill_switch"))
        #expect(result["metadata"]?["containment"] == .string(containment.rawValue))
        let stopped = result["metadata"]?["stopped_processes"]?.arrayValue ?? []
        let named = stopped.first { (entry: JSONValue) in entry["pid"] == .int(Int(daemonPID)) }
        #expect(named?["signal"] == .string("SIGKILL") && named?["name"] == .string("sh"), "tool.result names the daemon it had to kill: \(stopped)")
    }

    /// `--capture-output` drained until every writer closed the pipe, past the timeout. The step
    /// now ends when the command does: what it left running is stopped and named.
    @Test(arguments: cases)
    func whatTheCommandLeftRunningIsStopped(backend: Backend, containment: Containment) throws {
        let gov = try Self.governance(backend, containment)
        let session = try SessionID.random().value
        let pidFile = gov.home + "/pids"
        let r = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--timeout", "1", "--capture-output", "--",
                             "sh", "-c", "sh -c 'echo $$ >> \"$0\"; exec sleep 8' \(pidFile) & while [ ! -s \(pidFile) ]; do :; done; exit 0"])
        #expect(r.status == 0, "\(r.stderr)")
        let leftover = try #require(Self.pids(pidFile, count: 1).first)
        #expect(!Self.alive(leftover), "the background sleep did not outlive the step (exec returned before it would have ended)")
        let result = try Self.lastResult(gov, session)
        #expect(result["metadata"]?["exit_status"] == .int(0))
        let stopped = result["metadata"]?["stopped_processes"]?.arrayValue ?? []
        #expect(stopped.contains { (entry: JSONValue) in entry["pid"] == .int(Int(leftover)) })
    }

    /// With output held open by a process that ignores SIGTERM, the drain still ends at the
    /// deadline and the kill after the grace period.
    @Test(arguments: [Backend.sqlite])
    func theDrainHonoursTheKillSwitch(backend: Backend) throws {
        let gov = try Self.governance(backend, .cgroup)
        let pidFile = gov.home + "/pids"
        let exec = try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-t", "step", "--kill-grace", "1", "--capture-output", "--",
                                                           "sh", "-c", "trap '' TERM; echo $$ >> \(pidFile); while :; do echo tick; sleep 0.2; done"],
                                      environment: gov.environment)
        exec.send(nil)
        let shell = try #require(Self.pids(pidFile, count: 1).first)
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "stop"]).status == 0)
        let r = exec.finish()
        #expect(r.status == 15)
        #expect(r.stdout.hasPrefix("tick\n"), "output was teed while it ran")
        #expect(!Self.alive(shell))
    }

    /// If `exec` itself is SIGKILLed, its command gets SIGKILL too (the parent-death signal).
    @Test(arguments: [Backend.sqlite])
    func aSIGKILLedExecTakesItsCommandWithIt(backend: Backend) throws {
        let gov = try Self.governance(backend, .cgroup)
        let pidFile = gov.home + "/pids"
        let exec = try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-t", "step", "--",
                                                           "sh", "-c", "echo $$ >> \(pidFile); trap '' TERM; while :; do sleep 0.1; done"],
                                      environment: gov.environment)
        exec.send(nil)
        let child = try #require(Self.pids(pidFile, count: 1).first)
        exec.signal(SIGKILL)
        #expect(exec.wait() == 128 + SIGKILL)
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !Self.alive(child)
            if !gone { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(gone, "the command died with exec")
    }

    /// A command's own status 12 reads as "budget exceeded"; --refusal-status and --result-fd
    /// tell a script which one it was.
    @Test(arguments: Backend.allCases)
    func aScriptCanTellARefusalFromTheToolsOwnStatus(backend: Backend) throws {
        let gov = try ExecCommandTests.applied(backend)
        let resultFile = gov.home + "/result.json"
        func step(_ tool: String, _ command: String) throws -> (status: Int32, result: JSONValue) {
            let r = try runProcess("/bin/sh", ["-c", "exec \"$0\" exec -a bot -t \(tool) --refusal-status 99 --result-fd 3 -- sh -c '\(command)' 3>\(resultFile)",
                                               governanceBinary()], environment: gov.environment)
            return (r.status, try JSONParser.parse(String(contentsOfFile: resultFile, encoding: .utf8)))
        }
        let own = try step("step", "exit 12")
        #expect(own.status == 12)
        #expect(own.result["governance_decided"] == .bool(false) && own.result["command_status"] == .int(12) && own.result["ran"] == .bool(true))
        let refused = try step("delete_all", "exit 0")
        #expect(refused.status == 99)
        #expect(refused.result["governance_decided"] == .bool(true) && refused.result["ran"] == .bool(false))
        #expect(refused.result["error"]?["code"] == .string("scope_violation") && refused.result["error"]?["exit_code"] == .int(10))
        // Without the flags the codes are as documented.
        #expect(try gov.run(["exec", "-a", "bot", "-t", "delete_all", "--", "true"]).status == 10)
        // fd 7 closed for certain (the test runner may hold descriptors it did not mark close-on-exec).
        let closed = try runProcess("/bin/sh", ["-c", "exec \"$0\" exec -a bot -t step --result-fd 7 -- true 7>&-", governanceBinary()],
                                    environment: gov.environment)
        #expect(closed.status == 2 && closed.stderr.contains("--result-fd 7"))
    }
}

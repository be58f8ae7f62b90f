import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `governance complete KIND`, the query the completion scripts make, on both stores.
@Suite struct CompletionValuesTests {
    static func lines(_ r: ProcessResult) -> [String] { r.stdout.split(separator: "\n").map(String.init) }

    @Test(arguments: Backend.allCases)
    func agentsSessionsAndPendingRequestsComeFromTheStore(backend: Backend) throws {
        let gov = try Governance.applying("agents: {policy-only: {scope: {allowed_tools: [t]}}}", backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "live-agent"]).status == 0)
        #expect(try gov.run(["presence", "kill", "ghost", "--reason", "halt", "--force"]).status == 0)
        #expect(try Self.lines(gov.run(["complete", "agents"])) == ["ghost", "live-agent", "policy-only"])
        #expect(try Self.lines(gov.run(["complete", "agents", "po"])) == ["policy-only"])
        #expect(try Self.lines(gov.run(["complete", "agents", "--limit", "2"])) == ["ghost", "live-agent"])

        let first = try SessionID.random().value, second = try SessionID.random().value
        #expect(try gov.run(["audit", "log", "-a", "live-agent", "-s", first, "-k", "step"]).status == 0)
        #expect(try gov.run(["audit", "log", "-a", "live-agent", "-s", second, "-k", "step"]).status == 0)
        let sessions = Self.lines(try gov.run(["complete", "sessions"]))
        #expect(sessions.first == second && sessions.contains(first), "the most recent session first: \(sessions)")
        #expect(try Self.lines(gov.run(["complete", "sessions", String(first.prefix(8))])) == [first])

        let pending = try #require(try gov.json(["gates", "request", "--kind", "deploy", "--agent", "live-agent"])["request_id"]?.stringValue)
        let granted = try #require(try gov.json(["gates", "request", "--kind", "deploy", "--agent", "live-agent"])["request_id"]?.stringValue)
        #expect(try gov.run(["gates", "grant", granted]).status == 0)
        #expect(try Self.lines(gov.run(["complete", "requests"])) == [pending], "only pending requests are offered")

        let json = try gov.json(["complete", "agents"])
        #expect(json["kind"] == .string("agents") && json["skipped"] == .int(0))
        #expect(try gov.run(["complete", "tools"]).status == 2)
        #expect(try gov.run(["complete", "agents", "--limit", "1001"]).status == 2)
    }

    /// bash's compgen expands the word list it is given: an agent naming itself `$(cmd)` must not
    /// get cmd run in the operator's shell when the operator presses Tab.
    @Test(arguments: Backend.allCases)
    func anAgentsIdCannotRunCodeInTheOperatorsShell(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let marker = gov.home + "/pwned"
        let evil = "g$(touch${IFS}\(marker))"
        #expect(try gov.run(["presence", "heartbeat", evil]).status == 0)
        #expect(try gov.run(["presence", "heartbeat", "good-agent"]).status == 0)
        #expect(try Self.lines(gov.run(["complete", "agents"])) == ["good-agent"])
        #expect(try gov.json(["complete", "agents"])["skipped"] == .int(1))

        // The generated bash completion, driven as bash drives it, with the real binary and store.
        let bash = try gov.run(["completions", "bash"]).stdout
        let script = bash + "\nCOMP_WORDS=(\(governanceBinary()) presence kill g); COMP_CWORD=3; _governance; echo \"${COMPREPLY[*]}\"\n"
        let r = try runProcess("/bin/bash", ["-c", script], environment: gov.environment)
        #expect(r.stdout == "good-agent\n", "\(r.stdout)\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "completing ran code an agent chose")
    }

    @Test func nothingIsPrintedWhenTheStoreIsAway() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "postgresql://127.0.0.1:1/nowhere?connect_timeout=2"
        let r = try gov.run(["complete", "agents"])
        #expect(r.status == 4 && r.stdout.isEmpty)
        var fresh = try Governance()
        fresh.environment["GOVERNANCE_HOME"] = fresh.home + "/never-created"
        let none = try fresh.run(["complete", "sessions"])
        #expect(none.stdout.isEmpty && !FileManager.default.fileExists(atPath: fresh.home + "/never-created"))
    }
}

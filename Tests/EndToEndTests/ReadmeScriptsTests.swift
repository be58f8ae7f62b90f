import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The scripts that end the README's four user sections (an agent script, an operator, cron, CI),
/// each run exactly as written with bash, with the binary under test first on PATH, in a
/// throwaway home, against a store of each kind (PostgreSQL through GOVERNANCE_DATABASE_URL).
@Suite struct ReadmeScriptsTests {
    /// The fenced bash block right after `<!-- test: NAME -->`.
    static func script(_ name: String) throws -> String {
        let readme = try String(contentsOfFile: packageRoot() + "/README.md", encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- test: \(name) -->\n```bash\n"), "README has no script marked \(name)")
        let close = try #require(readme.range(of: "\n```\n", range: marker.upperBound..<readme.endIndex))
        return String(readme[marker.upperBound..<close.lowerBound]) + "\n"
    }

    /// Runs the script in a fresh store of `backend`; returns the result and the store, for checks.
    static func run(_ name: String, _ backend: Backend) throws -> (ProcessResult, Governance) {
        let gov = try Governance(backend: backend == .sqlite ? nil : backend)
        let directory = try makeTemporaryDirectory()
        let file = directory + "/\(name).sh"
        try Self.script(name).write(toFile: file, atomically: true, encoding: .utf8)
        var environment = gov.environment
        let binaryDirectory = URL(fileURLWithPath: governanceBinary()).deletingLastPathComponent().path
        environment["PATH"] = binaryDirectory + ":/usr/bin:/bin"
        environment["TMPDIR"] = directory
        let result = try runProcess("/bin/bash", ["-c", "cd \"$1\" && exec bash \"$2\"", "bash", directory, file], environment: environment)
        return (result, gov)
    }

    static func kinds(_ gov: Governance, agent: String) throws -> [String] {
        try gov.run(["--json", "audit", "events", "--agent", agent]).stdout.split(separator: "\n")
            .map { try JSONParser.parse(String($0))["kind"]?.stringValue ?? "?" }
    }

    @Test(arguments: Backend.allCases)
    func agentScript(backend: Backend) throws {
        let (r, gov) = try Self.run("agent-script", backend)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for line in ["invoice 1043 read", "delete_all: exit 10", "a fourth invoice: exit 12", "verified: "] {
            #expect(r.stdout.contains(line), "\(line)\n\(r.stdout)")
        }
        let kinds = try Self.kinds(gov, agent: "billing-agent")
        #expect(kinds.filter { $0.hasPrefix("presence.") } == ["presence.heartbeat", "presence.close"],
                "four heartbeats, one transition to Live, then closed: \(kinds)")
        #expect(kinds.filter { $0 == "tool.call" }.count == 3 && kinds.filter { $0 == "llm.call" }.count == 3, "\(kinds)")
        #expect(kinds.contains("scope.violation") && kinds.contains("budget.exceeded"), "\(kinds)")
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func operatorScript(backend: Backend) throws {
        let (r, gov) = try Self.run("operator", backend)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for line in ["added operator alice", "granted request ", "granted by alice", "the agent's next step: exit 15", "revived billing-agent",
                     "allowed: charge_customer"] {
            #expect(r.stdout.contains(line), "\(line)\n\(r.stdout)")
        }
        let requests = try #require(try gov.json(["gates", "list"])["requests"]?.arrayValue)
        #expect(requests.count == 1 && requests[0]["status"] == .string("granted"), "\(requests)")
        let kinds = try Self.kinds(gov, agent: "billing-agent")
        #expect(["gate.requested", "gate.granted", "presence.kill", "presence.revive"].allSatisfy(kinds.contains), "\(kinds)")
        #expect(try gov.run(["presence", "is-killed", "billing-agent"]).status == 0)
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func cronScript(backend: Backend) throws {
        let (r, gov) = try Self.run("cron", backend)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("billing-agent: exit 15"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("presence.heartbeat\npresence.unresponsive\npresence.kill\n"), "\(r.stdout)")
        #expect(try gov.json(["presence", "status", "billing-agent"])["status"] == .string("killed"))
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func ciScript(backend: Backend) throws {
        let (r, gov) = try Self.run("ci", backend)
        #expect(r.status == 21, "the gate is the job's status: \(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("verified: 1 event in 1 session") && r.stdout.contains("wrote article12 report"), "\(r.stdout)")
        #expect(r.stdout.contains("article12.html\nsummary.json\n"), "\(r.stdout)")
        #expect(r.stderr.contains("functioning (non_compliant)"), "\(r.stderr)")
        #expect(try Self.kinds(gov, agent: "billing-agent") == ["refund.decision"])
        let all = try gov.run(["--json", "audit", "events"]).stdout
        #expect(!all.contains(EventKind.reportGenerated), "--no-record writes nothing")
    }
}

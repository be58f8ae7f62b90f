import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Behaviours of the reference SDK that scripts port, kept or explained (docs/SDK.md).
@Suite struct ReferenceSemanticsTests {
    /// The reference lists audit_logged as post-only and hitl_approved as pre-only; a policy that
    /// puts either in the other phase is refused whole, naming the path.
    @Test func contractChecksOutsideTheirPhaseAreRefused() throws {
        let gov = try Governance()
        for (phase, check, other) in [("pre", "audit_logged", "post"), ("post", "hitl_approved", "pre")] {
            let params = check == "hitl_approved" ? ", params: {kind: k}" : ""
            let policy = "agents:\n  bot:\n    contracts:\n      t:\n        \(phase):\n          - {check: \(check)\(params)}\n"
            let r = try gov.run(["policy", "apply", "-f", "-"], stdin: policy)
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("agents.bot.contracts.t.\(phase)[0].check") && r.stderr.contains("move it to \(other)"), "\(r.stderr)")
        }
        #expect(try gov.run(["policy", "list", "--json"]).stdout.contains("\"bot\"") == false, "nothing was stored")
    }

    /// The budget denial's hint names the cap and the policy key that raises it, and no longer
    /// suggests a new session (which reads as a way around the cap).
    @Test(arguments: Backend.allCases)
    func theBudgetHintNamesTheCapAndItsKey(backend: Backend) throws {
        let gov = try Governance.applying("agents:\n  bot:\n    scope: {allowed_tools: [t]}\n    budget: {per_session_tokens: 100, per_agent_usd_daily: 0.01}\n",
                                          backend: backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["cost", "track-usage", "-a", "bot", "-s", session, "--model", "gpt-4o", "--input-tokens", "150", "--output-tokens", "0"]).status == 0)
        let tokens = try gov.run(["cost", "check", "-a", "bot", "-s", session])
        #expect(tokens.status == 12)
        #expect(tokens.stderr.contains("hint: an operator may raise agents.bot.budget.per_session_tokens"), "\(tokens.stderr)")
        #expect(!tokens.stderr.contains("new session"))
        let json = try JSONParser.parse(try gov.run(["--json", "cost", "check", "-a", "bot", "-s", session]).stderr)
        #expect(json["error"]?["cap"] == .string("per_session_tokens"))
        let other = try SessionID.random().value
        #expect(try gov.run(["cost", "track-usage", "-a", "bot", "-s", other, "--model", "gpt-4o", "--input-tokens", "10", "--output-tokens", "2000"]).status == 0)
        let daily = try gov.run(["cost", "check", "-a", "bot", "-s", try SessionID.random().value])
        #expect(daily.status == 12 && daily.stderr.contains("budget.per_agent_usd_daily") && daily.stderr.contains("00:00 UTC"), "\(daily.stderr)")
    }

    /// `if await sdk.loop.check(...)` ports to an exit status: 0 no loop, 13 in a loop, as grep -q
    /// answers; nothing is recorded by asking.
    @Test(arguments: Backend.allCases)
    func loopCheckAnswersInItsExitStatus(backend: Backend) throws {
        let gov = try Governance.applying("agents:\n  bot:\n    loop: {window_seconds: 60, max_calls: 2, action: log}\n", backend: backend)
        let session = try SessionID.random().value
        let check = ["-q", "loop", "check", "-a", "bot", "-s", session]
        let quiet = try gov.run(check)
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty)
        for _ in 0..<3 { #expect(try gov.run(["loop", "record", "-a", "bot", "-s", session, "-t", "search"]).status == 0) }
        let looping = try gov.run(check)
        #expect(looping.status == 13 && looping.stdout.isEmpty && looping.stderr.isEmpty, "\(looping.stderr)")
        let json = try gov.run(["--json", "loop", "check", "-a", "bot", "-s", session])
        let answer = try JSONParser.parse(json.stdout)
        #expect(json.status == 13 && answer["in_loop"] == .bool(true))
        let records = try gov.run(["--json", "audit", "events", "--session", session, "--kind", "loop.detected"]).stdout
        #expect(records.split(separator: "\n").count == 1, "asking recorded nothing: \(records)")
    }

    /// "Is this agent killed?" as an observation: exit 0 either way, the answer in the output.
    @Test(arguments: Backend.allCases)
    func isKilledIsAnObservation(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["init"]).status == 0)
        let before = try gov.run(["--json", "presence", "is-killed", "bot"])
        let first = try JSONParser.parse(before.stdout)
        #expect(before.status == 0 && first["killed"] == .bool(false))
        #expect(try gov.run(["presence", "kill", "bot", "--reason", "runaway", "--force"]).status == 0)
        let after = try gov.run(["--json", "presence", "is-killed", "bot"])
        #expect(after.status == 0, "\(after.stderr)")
        let answer = try JSONParser.parse(after.stdout)
        #expect(answer["killed"] == .bool(true) && answer["kill"]?["reason"] == .string("runaway"))
        #expect(try gov.run(["presence", "status", "bot"]).status == 15, "the enforcing form still refuses")
    }

    /// Reads that the reference answers with zeros or empties exit 4 when the store is down: each
    /// would otherwise read as "nothing spent", "no loop", "no agent".
    @Test func readsFailClosedWhenTheStoreIsDown() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "postgresql://nobody@/governance?host=/nonexistent-socket-dir&connect_timeout=2"
        for read in [["cost", "snapshot", "-a", "bot"], ["cost", "breakdown", "-a", "bot"], ["loop", "check", "-a", "bot"],
                     ["presence", "list"], ["presence", "sweep"], ["presence", "is-killed", "bot"]] {
            let r = try gov.run(read)
            #expect(r.status == 4, "\(read.joined(separator: " ")): \(r.status) \(r.stderr)")
        }
    }

    /// --fail-open is set once, on the enforcer the dispatcher builds: every enforcement command
    /// honours it, and an approval is never asked for or granted without the store.
    @Test func failOpenAllowsChecksButNeverApprovals() throws {
        var gov = try Governance()
        gov.environment["GOVERNANCE_DATABASE_URL"] = "postgresql://nobody@/governance?host=/nonexistent-socket-dir&connect_timeout=2"
        for check in [["scope", "check", "-a", "bot", "--tool", "t"], ["cost", "check", "-a", "bot"], ["loop", "record", "-a", "bot", "-t", "t"]] {
            let r = try gov.run(["--fail-open"] + check)
            #expect(r.status == 0 && r.stderr.contains("--fail-open"), "\(check): \(r.stderr)")
            #expect(try gov.run(check).status == 4)
        }
        #expect(try gov.run(["--fail-open", "gates", "request", "--kind", "k", "--agent", "bot"]).status == 4)
        #expect(try gov.run(["--fail-open", "gates", "wait", "00000000-0000-4000-8000-000000000001"]).status == 4)
    }
}

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
}

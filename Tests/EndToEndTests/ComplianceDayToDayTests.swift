import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// What a CI attestation job tripped over: reports that needed write access, counted their own
/// event and the pseudo-agent `governance`, and judged the enforcement path's own refusals as
/// anomalies nobody answered.
@Suite struct ComplianceDayToDayTests {
    static let policy = "agents:\n  bot:\n    scope: {allowed_tools: [read]}\n"

    static func section(_ report: JSONValue, _ id: String) -> JSONValue? {
        report["sections"]?.arrayValue?.first { $0["id"] == .string(id) }
    }

    @Test(arguments: Backend.allCases)
    func aReportNeedNotWriteAndCountsNeitherItselfNorGovernance(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["exec", "-a", "bot", "-s", session, "-t", "read", "--", "true"]).status == 0)
        let count = { try gov.run(["--json", "audit", "events"]).stdout.split(separator: "\n").count }
        let before = try count()
        let first = try JSONParser.parse(try gov.run(["--json", "compliance", "report", "--kind", "summary", "--no-record"]).stdout)
        #expect(try count() == before, "--no-record wrote nothing")
        #expect(first["options"]?["record_generation"] == .bool(false))
        let text = try gov.run(["compliance", "report", "--kind", "summary", "--no-record"]).stdout
        #expect(text.contains("Generation audited") && text.contains("--no-record"), "\(text)")

        #expect(try gov.run(["compliance", "report", "--kind", "summary"]).status == 0)
        #expect(try count() == before + 1, "a recorded report writes report.generated")
        let second = try JSONParser.parse(try gov.run(["--json", "compliance", "report", "--kind", "summary", "--no-record"]).stdout)
        #expect(second["events_read"] == first["events_read"], "a report's own event is not activity")
        let agents = (Self.section(second, "agent_overview")?["data"]?["agents"]?.arrayValue ?? []).compactMap { $0["agent_id"]?.stringValue }
        #expect(!agents.contains("governance") && agents.contains("bot"), "\(agents)")
    }

    /// Three tools refused by `scope check`: the refusal is the response, so functioning is
    /// compliant without a kill or a gate.
    @Test(arguments: Backend.allCases)
    func refusalsByTheEnforcementPathAnswerTheirAnomalies(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        #expect(try gov.run(["exec", "-a", "bot", "-s", session, "-t", "read", "--", "true"]).status == 0)
        for tool in ["shell", "delete", "send"] {
            #expect(try gov.run(["scope", "check", "-a", "bot", "-s", session, "--tool", tool]).status == 10)
        }
        let report = try JSONParser.parse(try gov.run(["--json", "compliance", "report", "--kind", "article12", "--verify-chain", "--no-record"]).stdout)
        let functioning = try #require(Self.section(report, "functioning"))
        #expect(functioning["status"] == .string("compliant"), "\(functioning)")
        #expect(functioning["data"]?["anomalies"] == .int(3) && functioning["data"]?["anomalies_refused"] == .int(3))
    }
}

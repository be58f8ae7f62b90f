import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `compliance report` as CI runs it: exit codes, files, formats, and its own audit event.
@Suite struct ComplianceCommandTests {
    struct Setup {
        let db: TestDatabase
        let fixture: ComplianceFixture
        let env: [String: String]
    }

    func setup(_ backend: Backend) throws -> Setup {
        let db = try TestDatabase.make(backend)
        var env = try freshEnvironment()
        env["GOVERNANCE_DATABASE_URL"] = db.url
        return Setup(db: db, fixture: try ComplianceFixture(db), env: env)
    }

    func generatedEvents(_ s: Setup) throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        try AuditQuery(db: s.fixture.store.connection).events(AuditFilter(kind: EventKind.reportGenerated)) { records.append($0) }
        return records
    }

    @Test(arguments: Backend.allCases)
    func tamperedChainExits20AndStillWritesTheReport(backend: Backend) throws {
        let s = try setup(backend)
        let sessions = try s.fixture.wellGovernedAgent()
        try s.db.rawConnection().execute("UPDATE governance_audit_events SET agent_id = 'someone-else' WHERE session_id = ? AND seq = 2",
                                         [.text(sessions[0].value)])
        let path = s.db.directory + "/report.json"
        let r = runCLI(["compliance", "report", "--kind", "article12", "--verify-chain", "--fail-on", "partial", "--json", "--output", path], env: s.env)
        #expect(r.code == 20, "a failed chain is 20, before --fail-on's 21")
        #expect(r.err.contains("integrity failure"))
        let json = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
        #expect(json["chain_integrity_status"] == .string("failed"))
        #expect(json["chain_failures"].flatMap { if case .array(let a) = $0 { a.first?["reason"] } else { nil } } == .string("hmac_mismatch"))
        #expect(try generatedEvents(s).count == 1, "the report was audited")
        // Without --verify-chain nothing is checked, and the report says so.
        let unverified = runCLI(["compliance", "report", "--kind", "article12", "--json"], env: s.env)
        #expect(unverified.code == 0)
        #expect(try JSONParser.parse(unverified.out)["chain_integrity_status"] == .string("unverified"))
    }

    @Test(arguments: Backend.allCases)
    func failOnGatesAtOrBelowTheThreshold(backend: Backend) throws {
        let s = try setup(backend)
        try s.fixture.wellGovernedAgent()
        let base = ["compliance", "report", "--kind", "article12", "--quiet"]
        #expect(runCLI(base + ["--verify-chain", "--fail-on", "partial"], env: s.env).code == 0)
        // Unverified: event registration is partial.
        let partial = runCLI(base + ["--fail-on", "partial"], env: s.env)
        #expect(partial.code == 21)
        #expect(partial.err.contains("event_registration (partial)"))
        #expect(runCLI(base + ["--fail-on", "non_compliant"], env: s.env).code == 0)
        // Not applicable sections are never gated, even with --fail-on partial.
        #expect(runCLI(base + ["--verify-chain", "--fail-on", "partial", "--kind", "summary"], env: s.env).code == 0)
        // An unanswered anomaly in an agent with no policy: functioning is partial, still not non_compliant.
        try s.fixture.add(EventKind.loopDetected, agent: "loose", session: try SessionID.random(), at: ComplianceFixture.at(day: 9))
        #expect(runCLI(base + ["--verify-chain", "--fail-on", "non_compliant"], env: s.env).code == 0)
        let json = runCLI(["compliance", "report", "--kind", "article12", "--verify-chain", "--fail-on", "partial", "--json"], env: s.env)
        #expect(json.code == 21)
        #expect(json.err.contains("\"exit_code\":21"))
        #expect(try JSONParser.parse(json.out)["kind"] == .string("article12"), "the report is written before the gate")
    }

    @Test(arguments: Backend.allCases)
    func reportGeneratedCarriesTheReportIdAndTheSHA256OfTheBytesWritten(backend: Backend) throws {
        let s = try setup(backend)
        let sessions = try s.fixture.wellGovernedAgent()
        for format in ["html", "markdown", "text", "json"] {
            let path = s.db.directory + "/report." + format
            let r = runCLI(["compliance", "report", "--kind", "summary", "--format", format, "--output", path,
                            "--session", sessions[0].value], env: s.env)
            #expect(r.code == 0, "\(r.err)")
            let written = try String(contentsOfFile: path, encoding: .utf8)
            let event = try #require(try generatedEvents(s).last)
            let metadata = try JSONParser.parse(event.metadataJSON)
            #expect(metadata["report_sha256"] == .string(Digest.sha256Hex(written)))
            #expect(metadata["format"] == .string(format))
            #expect(event.sessionID == sessions[0].value, "a report on one session is audited in that session's chain")
            let id = try #require(metadata["report_id"]?.stringValue)
            #expect(written.contains(id))
            #expect(r.out.contains(id))
        }
        #expect(ChainVerifierCheck.verifies(s.fixture.store))
    }

    @Test(arguments: Backend.allCases)
    func formatsAndFilters(backend: Backend) throws {
        let s = try setup(backend)
        let sessions = try s.fixture.wellGovernedAgent()
        let html = runCLI(["compliance", "report", "--kind", "article12", "--verify-chain", "--format", "html"], env: s.env)
        #expect(html.code == 0)
        #expect(html.out.hasPrefix("<!DOCTYPE html>"))
        #expect(html.out.contains("<svg") && html.out.contains("@media print"))
        #expect(!html.out.contains("<script"))
        let markdown = runCLI(["compliance", "report", "--kind", "summary", "--format=markdown"], env: s.env)
        #expect(markdown.out.hasPrefix("# Governance summary"))
        let json = runCLI(["compliance", "report", "--kind", "summary", "--agent", "agent-a", "--session", sessions[0].value,
                           "--session", sessions[1].value, "--from", "2026-11-01", "--to", "2026-11-02T10:00:00Z", "--json"], env: s.env)
        #expect(json.code == 0, "\(json.err)")
        let report = try JSONParser.parse(json.out)
        #expect(report["filters"]?["agent"] == .string("agent-a"))
        #expect(report["filters"]?["sessions"] == .array([.string(sessions[0].value), .string(sessions[1].value)]))
        #expect(report["filters"]?["from"] == .string("2026-11-01T00:00:00.000000Z"))
        #expect(report["events_read"] == .int(7 + 6), "day 0's session whole and day 1's events before 10:00")
        #expect(report["coverage_pct"] == .null)
    }

    @Test func formatIsAFlagOfComplianceReportOnly() throws {
        let env = try freshEnvironment()
        for arguments in [["audit", "verify", "--format", "html"], ["audit", "sessions", "--format=markdown"], ["audit", "verify", "--format", "json"]] {
            let r = runCLI(arguments, env: env)
            #expect(r.code == 2, "\(arguments)")
            #expect(r.err.contains("has no --format (it is a flag of `governance compliance report`)") && r.err.contains("use --json"), "\(r.err)")
        }
        #expect(runCLI(["compliance", "report", "--kind", "summary", "--retention-days", "0"], env: env).code == 2)
        #expect(runCLI(["compliance", "report"], env: env).code == 2, "--kind is required")
        #expect(runCLI(["compliance", "report", "--kind", "article12", "--fail-on", "compliant"], env: env).code == 2)
    }
}

enum ChainVerifierCheck {
    static func verifies(_ store: Store) -> Bool {
        (try? ChainVerifier(db: store.connection, keys: testKeys).verify().ok) ?? false
    }
}

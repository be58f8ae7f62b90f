import GovernanceCore
import GovernanceTestSupport
import Testing

/// The metadata a program passes (`ReportOptions.metadata`) is held to the rules the file is.
@Suite struct ReportMetadataTests {
    @Test(arguments: Backend.allCases)
    func generateRefusesMetadataThatBreaksARule(backend: Backend) throws {
        let f = try ComplianceFixture(try TestDatabase.make(backend))
        try f.wellGovernedAgent()
        let reporter = ComplianceReporter(db: f.store.connection, keys: testKeys)
        let bad = [ReportMetadata(systemName: "a\u{1b}[2J"), ReportMetadata(provider: ""),
                   ReportMetadata(signOff: .init(name: "Jane", date: "2026-13-01")),
                   ReportMetadata(signOff: .init(name: "Jane", statement: String(repeating: "s", count: 4097)))]
        for metadata in bad {
            #expect(throws: GovernanceError.self, "\(metadata)") { try reporter.generate(ReportOptions(kind: .summary, metadata: metadata)) }
        }
        #expect(throws: GovernanceError.self) { try reporter.generate(ReportOptions(kind: .summary, sessionsShown: 0)) }
        let good = ReportMetadata(systemName: "Billing", signOff: .init(name: "Jane", role: "Auditor", date: "2026-11-24"))
        let r = try reporter.generate(ReportOptions(kind: .summary, metadata: good))
        #expect(r.json["metadata"]?["sign_off"]?["role"] == .string("Auditor"))
        #expect(r.json["metadata"]?["deployer"] == .null)
    }

    @Test func theFileOverriddenByFlags() throws {
        let file = try ReportMetadata.parse(Array("system_name: A\nprovider: P\n".utf8), source: "m.yaml")
        let merged = file.overridden(by: ReportMetadata(provider: "Q", deployer: "D"))
        #expect(merged == ReportMetadata(systemName: "A", provider: "Q", deployer: "D"))
        #expect(throws: GovernanceError.self) { try ReportMetadata.parse(Array("system_name: A\nsystem_name: B\n".utf8), source: "m.yaml") }
    }

    @Test func readableTimes() throws {
        let t = try #require(Timestamp(parsing: "2026-11-24T08:15:42.123456Z"))
        #expect(t.readable() == "2026-11-24 08:15 UTC")
        #expect(t.readable(seconds: true) == "2026-11-24 08:15:42 UTC")
        #expect(try #require(Timestamp(parsing: "2026-11-24T08:15:00Z")).readable(seconds: true) == "2026-11-24 08:15 UTC")
    }
}

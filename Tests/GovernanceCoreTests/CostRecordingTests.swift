import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Tracked spend as an observation: counted with its audit event, or spooled and counted once on replay.
@Suite struct CostRecordingTests {
    @Test(arguments: Backend.allCases)
    func trackedSpendIsCountedAndAuditedTogether(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let ledger = CostLedger(db: store.connection)
        let session = try SessionID.random()
        let usage = try CostLedger.Usage(model: "claude-sonnet-4-5-20250929", inputTokens: 1_000, outputTokens: 500, pricing: .builtIn)
        let pending = try PendingEvent(validating: CostLedger.event(agentID: "a", sessionID: session, usage: usage))
        let records = try ledger.record([pending], keys: testKeys)
        #expect(records.map(\.kind) == ["llm.call"] && records[0].model == "claude-sonnet-4-5-20250929")
        #expect(records[0].metadataJSON.contains(#""usd":"0.0105""#))
        let snap = try ledger.snapshot(agentID: "a", sessionID: session, budget: nil)
        #expect(try snap.sessionUSDUsed == Money.parse("0.0105") && snap.sessionTokensUsed == 1_500)
        #expect(try ledger.breakdown(agentID: "a").first?.outputTokens == 500)
    }

    @Test(arguments: Backend.allCases)
    func spooledSpendIsCountedOnceWhenTheSpoolIsReplayed(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let configuration = Configuration(store: try db.location, home: db.directory)
        let spool = AuditSpool(home: db.directory, configuration: configuration)
        let session = try SessionID.random()
        let tracked = try PendingEvent(validating: CostLedger.event(agentID: "a", sessionID: session, usage: .init(tokens: 42, usd: try Money.parse("0.25"))))
        let plain = try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: "a", kind: "tool.call"))
        let keys = PurposeKeys(secret: Array(testSecret.utf8))
        _ = try spool.write([tracked, plain], keys: keys)
        // The flush appends the events; their effect (the spend) is applied in the same transaction.
        let ledger = CostLedger(db: store.connection)
        let report = try spool.flush(into: AuditLog(db: store.connection, keys: keys))
        #expect(report.appended == 2)
        #expect(try spool.flush(into: AuditLog(db: store.connection, keys: keys)).appended == 0)
        let snap = try ledger.snapshot(agentID: "a", sessionID: session, budget: nil, at: tracked.createdAt)
        #expect(try snap.sessionTokensUsed == 42 && snap.sessionUSDUsed == Money.parse("0.25"))
        // An event whose spend cannot be counted is refused when it is made, before any append.
        #expect(throws: GovernanceError.self) {
            _ = try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: "a", kind: "cost.tracked",
                metadata: .object([(CostLedger.metadataKey, .object([("tokens", .number(-5)), ("usd", .string("1"))]))])))
        }
        // A hand-edited spend is refused rather than counted.
        let forged = PendingEvent(AuditEventInput(sessionID: session, agentID: "a", kind: "cost.tracked",
                                                  metadata: .object([(CostLedger.metadataKey, .object([("tokens", .number(-5)), ("usd", .string("1"))]))])),
                                  metadata: "{}", createdAt: .now())
        #expect(throws: GovernanceError.self) { try ledger.applyReplayed([forged]) }
        let floaty = PendingEvent(AuditEventInput(sessionID: session, agentID: "a", kind: "cost.tracked",
                                                  metadata: .object([(CostLedger.metadataKey, .object([("tokens", .number(1)), ("usd", .string("1e3"))]))])),
                                  metadata: "{}", createdAt: .now())
        #expect(throws: GovernanceError.self) { try ledger.applyReplayed([floaty]) }
    }

    @Test func projectedTokensAndThePricingFileResolveFromFlagsThenEnvironment() throws {
        #expect(try ProjectedTokens.resolve(flag: 5, environment: { _ in "9" }) == 5)
        #expect(try ProjectedTokens.resolve(flag: nil, environment: { _ in "9" }) == 9)
        #expect(try ProjectedTokens.resolve(flag: nil, environment: { _ in nil }) == nil)
        #expect { try ProjectedTokens.resolve(flag: 0, environment: { _ in nil }) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
        for bad in ["0", "-1", "1.5", "abc", "", "99999999999999999999"] {
            #expect { try ProjectedTokens.resolve(flag: nil, environment: { _ in bad }) } throws: { ($0 as? GovernanceError)?.exitCode == 3 }
        }
        let dir = try makeTemporaryDirectory()
        let file = dir + "/prices.yaml"
        try "models:\n  my-local-model: {input: 1.00, output: 2.00}\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try PricingTable.resolve(file: nil, environment: { $0 == "GOVERNANCE_PRICING_FILE" ? file : nil }).price(for: "my-local-model") != nil)
        #expect(try PricingTable.resolve(file: nil, environment: { _ in nil }).price(for: "my-local-model") == nil)
        #expect(throws: GovernanceError.self) { try PricingTable.resolve(file: dir + "/missing.yaml") }
    }

    @Test func policyFilesAreReadWithABound() throws {
        let dir = try makeTemporaryDirectory()
        let good = dir + "/good.yaml", big = dir + "/big.yaml"
        try EnforcementTests.policyYAML.write(toFile: good, atomically: true, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: big, contents: Data(repeating: UInt8(ascii: "#"), count: (1 << 20) + 10)))
        #expect(try PolicyParser.load([good]).first?.agents.count == 2)
        #expect { try PolicyParser.load([good, big]) } throws: { ($0 as? GovernanceError)?.message.contains("1 MiB") == true }
        #expect { try PolicyParser.load([]) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
        #expect { try PolicyParser.load(["-", "-"]) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
        #expect { try PolicyParser.load([dir + "/nope.yaml"]) } throws: { ($0 as? GovernanceError)?.exitCode == 2 }
        // A device is not a document; on stdin, /dev/zero never ends, and the bound stops it.
        #expect { _ = try DocumentFile.read("/dev/zero", what: "policy file") } throws: { ($0 as? GovernanceError)?.message.contains("not a regular file") == true }
        let zero = open("/dev/zero", O_RDONLY)
        defer { close(zero) }
        #expect { _ = try DocumentFile.read(fd: zero, what: "policy file") } throws: { ($0 as? GovernanceError)?.message.contains("1 MiB") == true }
    }
}

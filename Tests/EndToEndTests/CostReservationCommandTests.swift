import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `cost check` reserves what it lets through: parallel processes never jointly pass a cap.
@Suite struct CostReservationCommandTests {
    static let policy = """
    agents:
      session-tokens: {budget: {per_session_tokens: 10000}}
      daily-tokens:   {budget: {per_agent_tokens_daily: 10000}}
      session-usd:    {budget: {per_session_usd: 0.10}}
      daily-usd:      {budget: {per_agent_usd_daily: 0.10}}
    """

    /// The agent whose only cap is the one tested, whether the processes share a session, and
    /// the projection: 4,000 tokens, or 4,000 tokens of gpt-4o at $10/M ($0.04) for the USD caps.
    static let caps: [(agent: String, sharedSession: Bool, projection: [String])] = [
        ("session-tokens", true, ["--projected-tokens", "4000"]),
        ("daily-tokens", false, ["--projected-tokens", "4000"]),
        ("session-usd", true, ["-m", "gpt-4o", "--max-tokens", "4000"]),
        ("daily-usd", false, ["-m", "gpt-4o", "--max-tokens", "4000"]),
    ]

    static func applied(_ backend: Backend) throws -> Governance { try EnforcementCommandTests.applied(backend, policy: policy) }

    /// Eight parallel `cost check` processes, each projecting 4,000 tokens (or $0.04) under a cap
    /// of 10,000 (or $0.10): two pass, six exit 12, for every cap, on both stores.
    @Test(arguments: Backend.allCases, [0, 1, 2, 3])
    func eightParallelChecksNeverJointlyPassTheCap(backend: Backend, cap: Int) throws {
        let (agent, shared, projection) = Self.caps[cap]
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let checks = try (1...8).map { _ -> SpawnedProcess in
            let s = shared ? session : try SessionID.random().value
            let p = try SpawnedProcess(governanceBinary(), ["cost", "check", "-a", agent, "-s", s] + projection, environment: gov.environment)
            p.send(nil)
            return p
        }
        let results = checks.map { $0.finish() }
        #expect(results.filter { $0.status == 0 }.count == 2, "\(agent): \(results.map(\.status))")
        #expect(results.filter { $0.status == 12 }.count == 6, "\(agent): \(results.map(\.stderr))")
    }

    @Test(arguments: Backend.allCases)
    func theReservationIdIsPrintedAndSpendSettlesIt(backend: Backend) throws {
        let gov = try Self.applied(backend)
        let session = try SessionID.random().value
        let check = try gov.json(["cost", "check", "-a", "session-usd", "-s", session, "-m", "gpt-4o", "--max-tokens", "4000"])
        let id = try #require(check["reservation_id"]?.stringValue)
        #expect(check["reserved_tokens"] == .int(4_000) && check["reserved_usd"] == .string("0.04"))
        #expect(check["session_usd_reserved"] == .string("0.04") && check["session_usd_remaining"] == .string("0.06"))
        #expect(check["reservation_expires_at"]?.stringValue != nil)

        let text = try gov.run(["cost", "check", "-a", "session-usd", "-s", session, "-m", "gpt-4o", "--max-tokens", "4000"])
        #expect(text.status == 0 && text.stdout.hasPrefix("reservation ") && text.stdout.contains("reserved 4,000 tokens and $0.04"))
        #expect(try gov.run(["cost", "check", "-a", "session-usd", "-s", session, "-m", "gpt-4o", "--max-tokens", "4000"]).status == 12)

        // The call cost $0.0075: the spend replaces the $0.04 held, and there is room again.
        let tracked = try gov.json(["cost", "track-usage", "-a", "session-usd", "-s", session, "-m", "gpt-4o",
                                    "--input-tokens", "1000", "--output-tokens", "500", "--reservation", id])
        #expect(tracked["reservation_id"] == .string(id))
        let snapshot = try gov.json(["cost", "snapshot", "-a", "session-usd", "-s", session])
        #expect(snapshot["session_usd_used"] == .string("0.0075") && snapshot["session_usd_reserved"] == .string("0.04"))
        #expect(try gov.run(["cost", "check", "-a", "session-usd", "-s", session, "-m", "gpt-4o", "--max-tokens", "4000"]).status == 0)

        #expect(try gov.run(["cost", "track", "-a", "session-usd", "-s", session, "--tokens", "1", "--usd", "0", "--reservation", "nope"]).status == 2)
        #expect(try gov.run(["cost", "check", "-a", "session-usd", "-s", session, "--projected-tokens", "1", "--max-tokens", "1"]).status == 2)
        // An unpriced model under a USD cap is denied, naming the cap.
        let unpriced = try gov.run(["cost", "check", "-a", "session-usd", "-s", session, "-m", "my-local-llm", "--max-tokens", "10"])
        #expect(unpriced.status == 12 && unpriced.stderr.contains("per_session_usd cannot be kept"))
    }

    /// `cost models` names the snapshot and its date; `--import` reads LiteLLM's map and writes a
    /// pricing file that `track-usage` then prices with.
    @Test func modelsShowTheSnapshotAndImportLiteLLM() throws {
        let gov = try Self.applied(.sqlite)
        let models = try gov.json(["cost", "models"])
        #expect(models["as_of"] == .string(PricingTable.builtInAsOf) && models["source"]?.stringValue?.contains("LiteLLM") == true)
        let text = try gov.run(["cost", "models"]).stdout
        #expect(text.hasPrefix("built-in prices: LiteLLM"))
        // The source is named once, in the header; each built-in row says only that it is one.
        #expect(text.components(separatedBy: PricingTable.builtInSource).count == 2)
        #expect(text.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("(built-in)") })
        let map = gov.home + "/litellm.json"
        try #"{"my-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2.5e-09, "mode": "chat", "litellm_provider": "me"}}"#
            .write(toFile: map, atomically: true, encoding: .utf8)
        let prices = gov.home + "/prices.json"
        let imported = try gov.run(["--json", "cost", "models", "--import", map, "--output", prices])
        #expect(imported.status == 0 && imported.stderr.contains("rounded up"))
        #expect(try JSONParser.parse(imported.stdout)["imported"] == .int(1))
        #expect(try gov.run(["cost", "models", "--import", map, "--output", prices]).status == 2)
        let session = try SessionID.random().value
        let tracked = try gov.json(["cost", "track-usage", "-a", "session-usd", "-s", session, "-m", "my-model", "--input-tokens", "1000",
                                    "--output-tokens", "1000", "--pricing-file", prices])
        #expect(tracked["usd"] == .string("0.001003") && tracked["priced"] == .bool(true))
    }
}

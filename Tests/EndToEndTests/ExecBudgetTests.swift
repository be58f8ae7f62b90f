import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `exec` takes the projection `cost check` takes: the step's worst case is checked against every
/// cap and reserved while it runs, so parallel steps cannot jointly pass a cap; the command can
/// settle the reservation with its real spend, and what it leaves is released at its end.
@Suite struct ExecBudgetTests {
    static let policy = """
    agents:
      bot:
        scope: {allowed_tools: [step]}
        budget: {per_session_tokens: 10000}
    """

    @Test(arguments: Backend.allCases)
    func aStepsProjectionIsReservedWhileItRunsAndReleasedAfter(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let seen = gov.home + "/reservation"
        // While the step runs its projection is held; the command sees the reservation's id.
        let r = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--max-tokens", "4000", "--",
                             "sh", "-c", "echo \"$GOVERNANCE_RESERVATION_ID\" > \(seen); \"$0\" --json cost snapshot -a bot -s \(session) >> \(seen)",
                             governanceBinary()])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n")
        #expect(SessionID(String(lines.first ?? "")) != nil, "the command got GOVERNANCE_RESERVATION_ID")
        let during = try JSONParser.parse(String(lines.dropFirst().joined(separator: "\n")))
        #expect(during["session_tokens_reserved"] == .int(4000), "\(during)")
        let after = try gov.json(["cost", "snapshot", "-a", "bot", "-s", session])
        #expect(after["session_tokens_reserved"] == .int(0), "released at the end: \(after)")
        // A projection over the cap never starts.
        let over = try gov.run(["exec", "-a", "bot", "-s", session, "-t", "step", "--max-tokens", "20000", "--", "true"])
        #expect(over.status == 12 && over.stderr.contains("per_session_tokens"), "\(over.stderr)")
    }

    /// The projection's other two sources, as `cost check` reads them: GOVERNANCE_DEFAULT_MAX_TOKENS
    /// and --projected-tokens. Over the cap the command never runs; under it, it runs holding the
    /// reservation.
    @Test(arguments: Backend.allCases)
    func execTakesTheProjectionFromTheEnvironmentAndFromProjectedTokens(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let ran = gov.home + "/ran"
        let step = ["exec", "-a", "bot", "-s", session, "-t", "step"]
        let command = ["--", "sh", "-c", "echo \"$GOVERNANCE_RESERVATION_ID\" >> \(ran)"]
        // How each source gives a step a projection of `tokens`.
        let sources: [(name: String, environment: (String) -> [String: String], flags: (String) -> [String])] = [
            ("GOVERNANCE_DEFAULT_MAX_TOKENS", { ["GOVERNANCE_DEFAULT_MAX_TOKENS": $0] }, { _ in [] }),
            ("--projected-tokens", { _ in [:] }, { ["--projected-tokens", $0] }),
        ]
        for source in sources {
            var over = gov
            over.environment.merge(source.environment("20000")) { $1 }
            let refused = try over.run(step + source.flags("20000") + command)
            #expect(refused.status == 12 && refused.stderr.contains("per_session_tokens"), "\(source.name): \(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: ran), "\(source.name): the command ran over the cap")

            var under = gov
            under.environment.merge(source.environment("4000")) { $1 }
            let allowed = try under.run(step + source.flags("4000") + command)
            #expect(allowed.status == 0, "\(source.name): \(allowed.stderr)")
            let id = try String(contentsOfFile: ran, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(SessionID(id) != nil, "\(source.name): GOVERNANCE_RESERVATION_ID is \(id.debugDescription)")
            try FileManager.default.removeItem(atPath: ran)
        }
        // Each allowed step's 4,000 tokens were released at its end: nothing is held.
        #expect(try gov.json(["cost", "snapshot", "-a", "bot", "-s", session])["session_tokens_reserved"] == .int(0))
    }

    /// Four steps of 4,000 tokens each, run at once under a 10,000-token cap: at most two run.
    @Test(arguments: Backend.allCases)
    func parallelStepsNeverJointlyPassTheCap(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let session = try SessionID.random().value
        let ran = gov.home + "/ran"
        let gate = gov.home + "/go"
        let steps = try (0..<4).map { _ in
            try SpawnedProcess(governanceBinary(), ["exec", "-a", "bot", "-s", session, "-t", "step", "--max-tokens", "4000", "--",
                                                    "sh", "-c", "echo x >> \(ran); while [ ! -e \(gate) ]; do sleep 0.05; done"],
                               environment: gov.environment)
        }
        for step in steps { step.send(nil) }
        // Every process has decided once two are running and the others exited.
        var decided = false
        for _ in 0..<400 where !decided {
            let running = ((try? String(contentsOfFile: ran, encoding: .utf8)) ?? "").split(separator: "\n").count
            decided = running + steps.filter { !$0.isRunning }.count == steps.count
            if !decided { Thread.sleep(forTimeInterval: 0.05) }
        }
        FileManager.default.createFile(atPath: gate, contents: nil)
        let statuses = steps.map { $0.finish().status }
        #expect(statuses.filter { $0 == 0 }.count == 2, "\(statuses)")
        #expect(statuses.filter { $0 == 12 }.count == 2, "\(statuses)")
    }
}

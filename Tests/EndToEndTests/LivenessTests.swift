import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Liveness is state; the audit chain records its transitions: a heartbeat every 30 s costs no
/// audit event once the agent is Live.
@Suite struct LivenessTests {
    /// The kinds of the presence events in the agent's own chain, in order.
    static func presenceKinds(_ gov: Governance, agent: String) throws -> [String] {
        let r = try gov.run(["--json", "audit", "events", "--agent", agent, "--limit", "1000"])
        #expect(r.status == 0, "\(r.stderr)")
        return try r.stdout.split(separator: "\n").compactMap { line in
            let kind = try JSONParser.parse(String(line))["kind"]?.stringValue
            return kind?.hasPrefix("presence.") == true ? kind : nil
        }
    }

    /// The chain verifies and the presence rows are what replaying its transitions gives.
    static func expectChainAndStateAgree(_ gov: Governance, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try gov.run(["audit", "verify"]).status == 0, sourceLocation: sourceLocation)
        let check = try gov.run(["db", "check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
    }

    @Test(arguments: Backend.allCases)
    func heartbeatsThatChangeNothingWriteNoEventAndTransitionsAreAuditedOnce(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        let first = try gov.json(["presence", "heartbeat", "bot", "--operator", "alice"])
        #expect(first["status"] == .string("appended"))
        var lastSeen: [String] = []
        for step in 1...5 {
            let beat = try gov.json(["presence", "heartbeat", "bot", "--metadata", "{\"step\":\(step)}"])
            #expect(beat["status"] == .string("seen"), "\(beat)")
            lastSeen.append(try #require(PresencePolicyCommandTests.agents(gov)["bot"]?["last_seen"]?.stringValue))
        }
        #expect(Set(lastSeen).count == 5, "each heartbeat moves last seen")
        let agent = try #require(try PresencePolicyCommandTests.agents(gov)["bot"])
        #expect(agent["status"] == .string("live") && agent["operator"] == .string("alice"))
        #expect(agent["metadata"] == .object([("step", .int(5))]), "metadata is state too")
        #expect(try gov.run(["presence", "heartbeat", "bot"]).stdout.contains("no audit event"))
        #expect(try Self.presenceKinds(gov, agent: "bot") == ["presence.heartbeat"])

        // Another operator is a change the chain records.
        #expect(try gov.json(["presence", "heartbeat", "bot", "--operator", "bob"])["status"] == .string("appended"))
        // idle, idle again, live, closed: each transition once.
        #expect(try gov.json(["presence", "idle", "bot"])["status"] == .string("appended"))
        #expect(try gov.json(["presence", "idle", "bot"])["status"] == .string("seen"))
        #expect(try gov.json(["presence", "heartbeat", "bot"])["status"] == .string("appended"))
        #expect(try gov.json(["presence", "heartbeat", "bot"])["status"] == .string("seen"))
        #expect(try gov.json(["presence", "close", "bot"])["status"] == .string("appended"))
        #expect(try Self.presenceKinds(gov, agent: "bot") == ["presence.heartbeat", "presence.heartbeat", "presence.idle",
                                                              "presence.heartbeat", "presence.close"])
        try Self.expectChainAndStateAgree(gov)
    }

    /// Swept Unresponsive by the sweep that observes it (audited once, by the sweep); the next
    /// heartbeat is the move back to Live; db check replays the transitions to the stored row.
    @Test(arguments: Backend.allCases)
    func sweepAuditsUnresponsiveAndTheNextHeartbeatIsAudited(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "bot"]).status == 0)
        #expect(try gov.run(["presence", "heartbeat", "bot"]).status == 0)
        usleep(1_100_000)
        #expect(try gov.run(["presence", "heartbeat", "bot"]).status == 0)
        usleep(1_100_000)
        let swept = try gov.json(["presence", "sweep", "--timeout", "1"])
        #expect(swept["marked"]?.arrayValue?.count == 1, "\(swept)")
        #expect(try gov.json(["presence", "sweep", "--timeout", "1"])["marked"]?.arrayValue?.count == 0, "a second sweep marks nothing")
        #expect(try gov.json(["presence", "status", "bot"])["status"] == .string("unresponsive"))
        #expect(try gov.run(["db", "check"]).status == 0, "the replay of the transitions agrees with the row")
        #expect(try gov.json(["presence", "heartbeat", "bot"])["status"] == .string("appended"))
        #expect(try Self.presenceKinds(gov, agent: "bot") == ["presence.heartbeat", "presence.unresponsive", "presence.heartbeat"])
        try Self.expectChainAndStateAgree(gov)
    }

    /// Heartbeats racing in parallel processes, on an Idle agent: exactly one is the transition.
    @Test(arguments: Backend.allCases)
    func racingHeartbeatsProduceExactlyOneTransition(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        for round in 0..<3 {
            #expect(try gov.run(["presence", "idle", "racer"]).status == 0)
            let children = try (0..<8).map { _ in
                try SpawnedProcess(governanceBinary(), ["--json", "presence", "heartbeat", "racer"], environment: gov.environment)
            }
            let results = children.map { $0.finish() }
            #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
            let statuses = try results.map { try JSONParser.parse($0.stdout)["status"]?.stringValue ?? "" }
            #expect(statuses.filter { $0 == "appended" }.count == 1, "round \(round): \(statuses)")
            #expect(statuses.filter { $0 == "seen" }.count == 7, "round \(round): \(statuses)")
        }
        let kinds = try Self.presenceKinds(gov, agent: "racer")
        #expect(kinds == Array(repeating: ["presence.idle", "presence.heartbeat"], count: 3).flatMap { $0 })
        try Self.expectChainAndStateAgree(gov)
    }
}

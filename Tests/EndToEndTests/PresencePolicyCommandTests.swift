import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `presence idle`, `close` and `sweep`, and `policy list`, through the built binary on both stores.
@Suite struct PresencePolicyCommandTests {
    static func agents(_ gov: Governance) throws -> [String: JSONValue] {
        var byID: [String: JSONValue] = [:]
        for agent in try gov.json(["presence", "list"])["agents"]?.arrayValue ?? [] {
            if let id = agent["agent_id"]?.stringValue { byID[id] = agent }
        }
        return byID
    }

    static func kinds(_ gov: Governance, agent: String) throws -> [String] {
        try gov.run(["--json", "audit", "events", "--agent", agent]).stdout.split(separator: "\n")
            .map { try JSONParser.parse(String($0))["kind"]?.stringValue ?? "?" }
    }

    @Test(arguments: Backend.allCases)
    func idleAndCloseChangeTheAgentsPresenceAndAreAudited(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "worker"]).status == 0)
        #expect(try Self.agents(gov)["worker"]?["status"] == .string("live"))

        let idle = try gov.json(["presence", "idle", "worker"])
        #expect(idle["event"] == .string(EventKind.presenceIdle) && idle["status"] == .string("appended"))
        #expect(try Self.agents(gov)["worker"]?["status"] == .string("idle"))

        let close = try gov.json(["presence", "close", "worker"])
        #expect(close["event"] == .string(EventKind.presenceClose) && close["status"] == .string("appended"))
        #expect(try Self.agents(gov)["worker"] == nil, "a closed agent leaves the list")
        #expect(try gov.run(["presence", "status", "worker"]).stdout.contains("unknown"))

        #expect(try Self.kinds(gov, agent: "worker") == [EventKind.presenceHeartbeat, EventKind.presenceIdle, EventKind.presenceClose])
        // Bad input writes nothing.
        #expect(try gov.run(["presence", "idle", "bad\u{7}agent"]).status == 2)
        #expect(try gov.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: Backend.allCases)
    func sweepMarksSilentAgentsUnresponsiveOnceAndAuditsIt(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        #expect(try gov.run(["presence", "heartbeat", "silent"]).status == 0)
        #expect(try gov.run(["presence", "idle", "resting"]).status == 0)

        let none = try gov.json(["presence", "sweep", "--timeout", "3600"])
        #expect(none["marked"] == .array([]), "nobody is an hour late")

        // Both go silent; the sweep marks each once it is a second late (polled, not slept).
        var marked: Set<String> = []
        #expect(try waitUntil(15) {
            let swept = try gov.json(["presence", "sweep", "--timeout", "1", "--by", "cron"])
            for agent in swept["marked"]?.arrayValue ?? [] { if let id = agent["agent_id"]?.stringValue { marked.insert(id) } }
            return marked == ["silent", "resting"]
        }, "marked: \(marked)")
        #expect(try gov.json(["presence", "sweep", "--timeout", "1"])["marked"] == .array([]), "an agent is reported by one sweep only")
        #expect(try Self.agents(gov)["silent"]?["status"] == .string("unresponsive"))
        #expect(try Self.agents(gov)["resting"]?["status"] == .string("unresponsive"))

        let audited = try gov.run(["--json", "audit", "events", "--agent", "silent", "--kind", EventKind.presenceUnresponsive]).stdout
        let event = try JSONParser.parse(String(try #require(audited.split(separator: "\n").first)))
        #expect(event["metadata"]?["by"] == .string("cron"))
        #expect(event["metadata"]?["timeout_seconds"] == .int(1))

        // A heartbeat makes it live again.
        #expect(try gov.run(["presence", "heartbeat", "silent"]).status == 0)
        #expect(try Self.agents(gov)["silent"]?["status"] == .string("live"))
    }

    @Test(arguments: Backend.allCases)
    func policyListShowsEveryAgentWithItsDigest(backend: Backend) throws {
        let gov = try Governance(backend: backend)
        if backend == .sqlite { #expect(try gov.run(["init"]).status == 0) }
        #expect(try gov.run(["policy", "list"]).stdout.contains("no policies"))
        #expect(try gov.json(["policy", "list"])["policies"] == .array([]))

        let applied = try gov.run(["--json", "policy", "apply", "-f", "-"], stdin: """
            agents:
              billing: {scope: {allowed_tools: [read_invoice]}}
              support: {scope: {allowed_tools: [reply]}}
            """)
        #expect(applied.status == 0, "\(applied.stderr)")
        let listed = try #require(try gov.json(["policy", "list"])["policies"]?.arrayValue)
        #expect(listed.compactMap { $0["agent_id"]?.stringValue }.sorted() == ["billing", "support"])
        for policy in listed {
            let id = try #require(policy["agent_id"]?.stringValue)
            #expect(policy["sha256"]?.stringValue?.count == 64)
            #expect(policy["sha256"] == (try gov.json(["policy", "show", id]))["sha256"])
        }
        let text = try gov.run(["policy", "list"]).stdout
        #expect(text.contains("billing") && text.contains("support"))

        #expect(try gov.run(["policy", "delete", "support"]).status == 0)
        #expect(try gov.json(["policy", "list"])["policies"]?.arrayValue?.compactMap { $0["agent_id"]?.stringValue } == ["billing"])
    }
}

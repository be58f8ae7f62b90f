import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// `policy test` counts a loop case's calls in memory; `loop record` counts them in the store.
/// The same sequences must get the same decisions, at the same call, with the same message.
@Suite struct PolicyTestDecisionTests {
    static let start = Timestamp(parsing: "2026-11-27T10:00:00Z")!

    static let sequences: [[(String, Int64)]] = [
        [("search", 0), ("Search", 10), ("SEARCH", 20), ("search", 30)],
        [("search", 0), ("search", 59), ("search", 60), ("search", 61), ("search", 119)],
        [("a", 0), ("b", 1), ("a", 2), ("b", 3), ("a", 4), ("a", 5)],
        [("a", 0), ("a", 60), ("a", 120), ("a", 180)],
        [("x", 5), ("x", 5), ("x", 5), ("y", 5), ("x", 64), ("x", 65)],
    ]

    @Test(arguments: Backend.allCases)
    func loopCasesDecideAsTheStoreDoes(backend: Backend) throws {
        let policy = LoopPolicy(windowSeconds: 60, maxCalls: 3, action: .raise)
        let document = PolicyDocument(source: "p.yaml", agents: [AgentPolicy(agentID: "agent", loop: policy)])
        for calls in Self.sequences {
            let store = try TestDatabase.make(backend).open()
            let loops = LoopDetector(db: store.connection)
            let session = try SessionID.random()
            var stored: String?
            for (i, (tool, at)) in calls.enumerated() {
                let o = try loops.record(agentID: "agent", sessionID: session, tool: tool, policy: policy,
                                         at: Timestamp(microseconds: Self.start.microseconds + at * 1_000_000))
                do {
                    _ = try LoopDetector.verdict(o, agentID: "agent")
                } catch {
                    stored = "call #\(i + 1): \(error.message)"
                    break
                }
            }
            let yaml = "cases:\n  - name: c\n    agent: agent\n    expect: allow\n    loop:\n      calls:\n"
                + calls.map { "        - {tool: \($0.0), at: \($0.1)}\n" }.joined()
            let result = try #require(try PolicyTest.run(try PolicyTest.parse(Array(yaml.utf8), source: "cases.yaml"), documents: [document]).results.first)
            #expect(result.decision == (stored == nil ? .allow : .deny), "\(calls)")
            if let stored { #expect(result.message == stored, "\(calls)") }
        }
    }
}

import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The sliding window on both stores.
@Suite struct LoopTests {
    static let start = Timestamp(parsing: "2026-11-27T10:00:00Z")!
    static func at(_ seconds: Double) -> Timestamp { Timestamp(microseconds: start.microseconds + Int64(seconds * 1_000_000)) }

    @Test(arguments: Backend.allCases)
    func theCallThatExceedsMaxCallsIsDetectedCaseInsensitively(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let loops = LoopDetector(db: store.connection)
        let session = try SessionID.random(), other = try SessionID.random()
        let policy = LoopPolicy(windowSeconds: 60, maxCalls: 3, action: .raise)
        var counts: [Int64] = []
        var detected: [Bool] = []
        for (i, tool) in ["search", "Search", "SEARCH", "search"].enumerated() {
            let o = try loops.record(agentID: "a", sessionID: session, tool: tool, policy: policy, at: Self.at(Double(i)))
            counts.append(o.count)
            detected.append(o.detected)
        }
        #expect(counts == [1, 2, 3, 4])
        #expect(detected == [false, false, false, true])
        // Other tools, sessions and agents have their own counts.
        #expect(try loops.record(agentID: "a", sessionID: session, tool: "fetch", policy: policy, at: Self.at(4)).count == 1)
        #expect(try loops.record(agentID: "a", sessionID: other, tool: "search", policy: policy, at: Self.at(4)).count == 1)
        #expect(try loops.record(agentID: "b", sessionID: session, tool: "search", policy: policy, at: Self.at(4)).count == 1)
        #expect(try loops.check(agentID: "a", sessionID: session, policy: policy, at: Self.at(5)).map(\.tool) == ["search"])
        #expect(try loops.check(agentID: "a", sessionID: other, policy: policy, at: Self.at(5)).isEmpty)
        // The window slides: 60 seconds after the first call it no longer counts.
        #expect(try loops.check(agentID: "a", sessionID: session, policy: policy, at: Self.at(60.5)).map(\.count) == [3].filter { $0 > 3 })
        #expect(try loops.record(agentID: "a", sessionID: session, tool: "search", policy: policy, at: Self.at(63.5)).count == 1)
        #expect(try loops.check(agentID: "a", sessionID: session, policy: nil, at: Self.at(5)).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func oldCallsArePrunedAndWithoutAPolicyCallsJustPass(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let loops = LoopDetector(db: store.connection)
        let session = try SessionID.random()
        let policy = LoopPolicy(windowSeconds: 10, maxCalls: 1_000)
        for i in 0..<50 { _ = try loops.record(agentID: "a", sessionID: session, tool: "t\(i % 5)", policy: policy, at: Self.at(Double(i))) }
        let rows = try store.connection.queryFirst("SELECT COUNT(*) FROM governance_loop_calls WHERE agent_id = 'a'")?.int(0)
        #expect(rows == 10)  // one window of calls, whatever the tool
        for i in 0..<5 {
            let o = try loops.record(agentID: "n", sessionID: session, tool: "x", policy: nil, at: Self.at(Double(i)))
            #expect(o.count == Int64(i + 1) && !o.detected)
        }
        #expect(throws: GovernanceError.self) { _ = try loops.record(agentID: "a", sessionID: session, tool: "", policy: policy) }
    }

    /// 4 threads x 25 records with max_calls 60: exactly 40 calls are detected.
    @Test(arguments: Backend.allCases)
    func concurrentRecordsCountExactly(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        _ = try db.open()
        let session = try SessionID.random()
        let policy = LoopPolicy(windowSeconds: 3_600, maxCalls: 60)
        let results = LockedList()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let loops = LoopDetector(db: try db.rawConnection())
                for _ in 0..<25 {
                    let o = try loops.record(agentID: "a", sessionID: session, tool: "t", policy: policy)
                    results.append(o.detected ? "detected \(o.count)" : "ok \(o.count)")
                }
            } catch {
                results.append("error \(error)")
            }
        }
        #expect(results.items.filter { $0.hasPrefix("detected") }.count == 40)
        #expect(Set(results.items).count == 100, "every count is seen exactly once")
    }
}

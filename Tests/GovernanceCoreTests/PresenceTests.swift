import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Presence rows, sweeps and the kill switch, on both stores.
@Suite struct PresenceTests {
    static let operatorAlice = OperatorIdentity(name: "alice", osUser: "alice-os", host: "ops-host")

    static func recorder(_ store: Store, home: String, db: TestDatabase) throws -> AuditRecorder {
        AuditRecorder(spool: AuditSpool(home: home, configuration: Configuration(store: try db.location, home: home)),
                      keys: testKeys, requireDurable: false) { store }
    }

    static func kinds(_ store: Store, agent: String) throws -> [String] {
        var kinds: [String] = []
        try AuditQuery(db: store.connection).chain(AgentChain.sessionID(for: agent)) { kinds.append($0.kind) }
        return kinds
    }

    @Test(arguments: Backend.allCases)
    func heartbeatMarksLiveInTheSameTransactionAsItsEvent(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let recorder = try Self.recorder(store, home: try makeTemporaryDirectory(), db: db)
        let event = try Presence.event(.heartbeat, agentID: "billing", operator: "alice", metadata: .object([("step", .int(3))]))
        guard case .appended = try Presence.record(event, recorder: recorder) else {
            Issue.record("expected the heartbeat to be appended")
            return
        }
        let agent = try #require(try Presence.agent(store.connection, agentID: "billing"))
        #expect(agent.status == .live)
        #expect(agent.operator == "alice")
        #expect(agent.lastSeen == event.createdAt)
        #expect(agent.metadataJSON == #"{"step":3}"#)
        #expect(try Self.kinds(store, agent: "billing") == ["presence.heartbeat"])

        _ = try Presence.record(try Presence.event(.idle, agentID: "billing"), recorder: recorder)
        #expect(try Presence.agent(store.connection, agentID: "billing")?.status == .idle)
        #expect(try Presence.agent(store.connection, agentID: "billing")?.operator == "alice", "idle keeps the bound operator")
        _ = try Presence.record(try Presence.event(.close, agentID: "billing"), recorder: recorder)
        #expect(try Presence.agent(store.connection, agentID: "billing") == nil)
        #expect(try Presence.list(store.connection, limit: 100).isEmpty)
        #expect(try Self.kinds(store, agent: "billing") == ["presence.heartbeat", "presence.idle", "presence.close"])
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }

    /// A heartbeat spooled while the store was away is applied on replay only if it is newer than
    /// what the row has seen: a late replay never moves an agent back in time.
    @Test(arguments: Backend.allCases)
    func spooledHeartbeatsApplyOnReplayOnlyWhenNewer(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let home = try makeTemporaryDirectory()
        let spool = AuditSpool(home: home, configuration: Configuration(store: try db.location, home: home))
        let down = AuditRecorder(spool: spool, keys: testKeys, requireDurable: false) {
            throw GovernanceError.unavailable("the store is down for this test")
        }
        let now = Timestamp.now().microseconds
        let old = try Presence.event(.heartbeat, agentID: "old", operator: "op", at: Timestamp(microseconds: now - 60_000_000))
        let fresh = try Presence.event(.heartbeat, agentID: "fresh", at: Timestamp(microseconds: now - 60_000_000))
        for event in [old, fresh] {
            guard case .spooled = try Presence.record(event, recorder: down) else {
                Issue.record("expected the heartbeat to be spooled")
                return
            }
        }
        let store = try db.open()
        // While the store was away from this agent, "old" reported directly, later than its spooled beat.
        let direct = try Self.recorder(store, home: try makeTemporaryDirectory(), db: db)
        let later = try Presence.event(.idle, agentID: "old", at: Timestamp(microseconds: now - 1_000_000))
        _ = try Presence.record(later, recorder: direct)

        let report = try spool.flush(into: AuditLog(db: store.connection, keys: testKeys))
        #expect(report.appended == 2)
        let oldAgent = try #require(try Presence.agent(store.connection, agentID: "old"))
        #expect(oldAgent.status == .idle, "the older replayed heartbeat does not override a newer idle")
        #expect(oldAgent.lastSeen?.microseconds == now - 1_000_000)
        let freshAgent = try #require(try Presence.agent(store.connection, agentID: "fresh"))
        #expect(freshAgent.status == .live)
        #expect(freshAgent.lastSeen == fresh.createdAt)
    }

    @Test(arguments: Backend.allCases)
    func sweepMarksStaleAgentsOnceAndAHeartbeatBringsThemBack(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let recorder = try Self.recorder(store, home: try makeTemporaryDirectory(), db: db)
        let now = Timestamp.now()
        _ = try Presence.record(try Presence.event(.heartbeat, agentID: "stale", at: Timestamp(microseconds: now.microseconds - 600_000_000)),
                                recorder: recorder)
        _ = try Presence.record(try Presence.event(.heartbeat, agentID: "alive"), recorder: recorder)

        let first = try Presence.sweep(store.connection, keys: testKeys, timeout: 300, by: Self.operatorAlice)
        #expect(first.map(\.agentID) == ["stale"])
        #expect(try Presence.sweep(store.connection, keys: testKeys, timeout: 300, by: Self.operatorAlice).isEmpty)
        #expect(try Presence.agent(store.connection, agentID: "stale")?.status == .unresponsive)
        #expect(try Presence.agent(store.connection, agentID: "alive")?.status == .live)
        #expect(try Self.kinds(store, agent: "stale") == ["presence.heartbeat", "presence.unresponsive"])

        _ = try Presence.record(try Presence.event(.heartbeat, agentID: "stale"), recorder: recorder)
        #expect(try Presence.agent(store.connection, agentID: "stale")?.status == .live)
        #expect(try Presence.sweep(store.connection, keys: testKeys, timeout: 300, by: Self.operatorAlice).isEmpty)
    }

    /// Two sweeps at the same moment on separate connections: every stale agent is reported by
    /// exactly one of them.
    @Test(arguments: Backend.allCases)
    func concurrentSweepsMarkEachAgentOnce(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let recorder = try Self.recorder(store, home: try makeTemporaryDirectory(), db: db)
        let past = Timestamp(microseconds: Timestamp.now().microseconds - 3_600_000_000)
        let agents = (1...40).map { "agent-\($0)" }
        for agent in agents { _ = try Presence.record(try Presence.event(.heartbeat, agentID: agent, at: past), recorder: recorder) }

        let results = SweepResults()
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                do {
                    let connection = try db.open().connection
                    let swept = try Presence.sweep(connection, keys: testKeys, timeout: 60, by: Self.operatorAlice)
                    results.add(swept.map(\.agentID))
                } catch {
                    results.fail("\(error)")
                }
            }
        }
        group.wait()
        #expect(results.errors.isEmpty, "\(results.errors)")
        #expect(results.all.sorted() == agents.sorted(), "every agent reported once in total")
        var unresponsiveEvents = 0
        for agent in agents { unresponsiveEvents += try Self.kinds(store, agent: agent).filter { $0 == "presence.unresponsive" }.count }
        #expect(unresponsiveEvents == agents.count)
    }

    @Test(arguments: Backend.allCases)
    func anAgentCanBeKilledBeforeItsFirstHeartbeat(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        #expect(try Presence.agent(store.connection, agentID: "ghost") == nil)
        let marker = try OperatorKill.kill(store.connection, keys: testKeys, agentID: "ghost", reason: "runaway spend", by: Self.operatorAlice)
        let agent = try #require(try Presence.agent(store.connection, agentID: "ghost"))
        #expect(agent.status == .killed)
        #expect(agent.kill == marker)
        #expect(try Presence.list(store.connection, limit: 10).map(\.agentID) == ["ghost"])
        let error = marker.error
        #expect(error.exitCode == 15)
        #expect(error.message.contains("alice") && error.message.contains("runaway spend") && error.message.contains(marker.killedAt.iso8601))

        // A heartbeat does not revive: the agent stays Killed until an operator revives it.
        let recorder = try Self.recorder(store, home: try makeTemporaryDirectory(), db: db)
        _ = try Presence.record(try Presence.event(.heartbeat, agentID: "ghost"), recorder: recorder)
        #expect(try Presence.agent(store.connection, agentID: "ghost")?.status == .killed)

        #expect(try OperatorKill.revive(store.connection, keys: testKeys, agentID: "ghost", by: Self.operatorAlice) == marker)
        #expect(try Presence.agent(store.connection, agentID: "ghost")?.status == .live)
        #expect(try OperatorKill.revive(store.connection, keys: testKeys, agentID: "ghost", by: Self.operatorAlice) == nil)
        #expect(try Self.kinds(store, agent: "ghost") == ["presence.kill", "presence.heartbeat", "presence.revive"])

        // The audit event names the claimed operator, the OS user and the host.
        var metadata: [JSONValue] = []
        try AuditQuery(db: store.connection).chain(AgentChain.sessionID(for: "ghost")) { metadata.append(try JSONParser.parse($0.metadataJSON)) }
        #expect(metadata[0]["by"] == .string("alice"))
        #expect(metadata[0]["os_user"] == .string("alice-os"))
        #expect(metadata[0]["host"] == .string("ops-host"))
        #expect(metadata[0]["reason"] == .string("runaway spend"))
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }

    @Test func operatorIdentityDefaultsToTheOSUserAndChecksClaims() throws {
        let me = try OperatorIdentity.current(claimed: nil)
        #expect(me.name == me.osUser)
        #expect(!me.host.isEmpty)
        let claimed = try OperatorIdentity.current(claimed: "bob")
        #expect(claimed.name == "bob" && claimed.osUser == me.osUser)
        #expect(throws: GovernanceError.self) { try OperatorIdentity.current(claimed: "") }
        #expect(throws: GovernanceError.self) { try OperatorIdentity.current(claimed: String(repeating: "x", count: 300)) }
    }

    @Test func agentChainIsUUIDv5OfTheAgentID() {
        // uuid.uuid5(uuid.UUID("6bf85211-ec46-54e2-b0c7-e9d7509eb432"), "billing-agent") in Python.
        #expect(AgentChain.sessionID(for: "billing-agent").value == "0e7c8a89-bd8e-5f9e-a7e3-5274a7cd6f25")
        #expect(AgentChain.sessionID(for: "billing-agent") != AgentChain.sessionID(for: "billing-agent2"))
    }
}

final class SweepResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var all: [String] = []
    private(set) var errors: [String] = []
    func add(_ agents: [String]) { lock.lock(); all += agents; lock.unlock() }
    func fail(_ message: String) { lock.lock(); errors.append(message); lock.unlock() }
}

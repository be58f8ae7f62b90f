import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The Swift API and the CLI doing the same thing write the same events: one agent acts through
/// the binary, its twin through `GovernanceCore.Governance`, and their chains are compared event
/// by event (kind, metadata keys, and the values that say how it went), with the same exit codes.
@Suite struct SwiftAPITests {
    /// What an event says, without what differs between two runs (ids, times, agent names).
    struct Trace: Equatable, CustomStringConvertible {
        var kind: String
        var keys: [String]
        var values: [String: JSONValue]
        var description: String { "\(kind) \(keys) \(values)" }
    }

    static let compared = ["exit_code", "action", "status", "decision", "ended_by", "exit_status", "signal", "argc", "tool", "kind", "outcome"]

    static func trail(_ gov: Governance, agent: String) throws -> [Trace] {
        try gov.run(["--json", "audit", "events", "--agent", agent]).stdout.split(separator: "\n").map { line in
            let event = try JSONParser.parse(String(line))
            let members = event["metadata"]?.objectMembers ?? []
            var values: [String: JSONValue] = [:]
            for (key, value) in members where compared.contains(key) { values[key] = value }
            return Trace(kind: event["kind"]?.stringValue ?? "?", keys: members.map(\.0).sorted(), values: values)
        }
    }

    /// The API over the store and home of the harness `gov`, with its environment.
    static func api(_ gov: Governance) throws -> GovernanceCore.Governance {
        let env = gov.environment
        let location = try Configuration.parseStoreURL(env["GOVERNANCE_DATABASE_URL"]!)
        return try GovernanceCore.Governance(configuration: Configuration(store: location, home: gov.home), environment: { env[$0] })
    }

    /// The exit code of an API call: 0, or the error's.
    static func exitCode(_ body: () async throws -> Void) async -> Int32 {
        do {
            try await body()
            return 0
        } catch let error as GovernanceError {
            return error.exitCode
        } catch {
            Issue.record("not a GovernanceError: \(error)")
            return -1
        }
    }

    enum Outcome: String, CaseIterable { case granted, denied, timedOut, pending }

    static func expectedStatus(_ outcome: Outcome) -> Int32 {
        switch outcome {
        case .granted: 0
        case .denied: 16
        case .timedOut: 17
        case .pending: 18
        }
    }

    @Test(arguments: Backend.allCases)
    func gatesWaitOutcomesAreTheSameEventsThroughTheAPIAndTheCLI(backend: Backend) async throws {
        let gov = try Governance(backend: backend)
        let api = try Self.api(gov)
        let admin = try api.operators.credential(keyFile: try gov.operatorKey("admin"))
        for outcome in Outcome.allCases {
            let (cliAgent, apiAgent) = ("cli-\(outcome)", "api-\(outcome)")
            let waitFlags: [String] = outcome == .timedOut ? ["--timeout", "0"] : (outcome == .pending ? ["--no-wait"] : [])

            let requested = try gov.json(["gates", "request", "--kind", "payment.send", "--agent", cliAgent])
            let cliID = try #require(requested["request_id"]?.stringValue)
            if outcome == .granted { #expect(try gov.run(["gates", "grant", cliID]).status == 0) }
            if outcome == .denied { #expect(try gov.run(["gates", "deny", cliID, "--reason", "no"]).status == 0) }
            let cliStatus = try gov.run(["gates", "wait", cliID] + waitFlags).status

            let issued = try #require(try api.gates.request(agentID: apiAgent, kind: "payment.send").value)
            let apiID = issued.request.requestID
            if outcome == .granted { try api.gates.grant(requestID: apiID, by: admin) }
            if outcome == .denied { try api.gates.deny(requestID: apiID, by: admin, reason: "no") }
            let apiStatus = await Self.exitCode {
                let granted = try await api.gates.wait(requestID: apiID, timeout: outcome == .timedOut ? 0 : nil, noWait: outcome == .pending)
                #expect(granted.value?.status == .granted)
            }

            #expect(cliStatus == Self.expectedStatus(outcome), "CLI \(outcome)")
            #expect(apiStatus == Self.expectedStatus(outcome), "API \(outcome)")
            let cliTrail = try Self.trail(gov, agent: cliAgent), apiTrail = try Self.trail(gov, agent: apiAgent)
            #expect(cliTrail == apiTrail, "\(outcome)")
            // A wait that did not end in a grant is audited by the enforcement path, with its exit code.
            if outcome != .granted {
                #expect(cliTrail.last?.kind == EventKind.enforcementDenied && cliTrail.last?.values["exit_code"] == .int(Int(Self.expectedStatus(outcome))),
                        "\(cliTrail)")
            }
        }
    }

    static let policy = """
    agents:
      cli-agent:
        scope: {allowed_tools: [work]}
      api-agent:
        scope: {allowed_tools: [work]}
    """

    /// The Swift API's governed step, in a process of its own (see Tests/SDKProbe).
    static func probe() -> String {
        ProcessInfo.processInfo.environment["GOVERNANCE_SDK_PROBE"] ?? packageRoot() + "/.build/debug/governance-sdk-probe"
    }

    static func toolCalls(_ gov: Governance, agent: String) throws -> Int {
        try gov.run(["--json", "audit", "events", "--agent", agent, "--kind", EventKind.toolCall]).stdout.split(separator: "\n").count
    }

    /// Runs a step of `agent` that blocks, waits until its `tool.call` is in the store (the step is
    /// running), kills the agent, and returns the step's exit status.
    static func killedStep(_ gov: Governance, agent: String, through executable: String, _ arguments: [String]) throws -> Int32 {
        let before = try toolCalls(gov, agent: agent)
        let step = try SpawnedProcess(executable, arguments, environment: gov.environment)
        step.send(nil)
        var running = false
        for _ in 0..<600 where step.isRunning {
            if try toolCalls(gov, agent: agent) > before { running = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(running, "the step never reached tool.call")
        #expect(try gov.run(["presence", "kill", agent, "--reason", "stop"]).status == 0)
        return step.finish().status
    }

    @Test(arguments: Backend.allCases)
    func execOutcomesAreTheSameEventsThroughTheAPIAndTheCLI(backend: Backend) throws {
        let gov = try Governance.applying(Self.policy, backend: backend)
        let binary = governanceBinary(), probe = Self.probe()

        // Allowed: the command runs between tool.call and tool.result.
        #expect(try gov.run(["exec", "-a", "cli-agent", "-t", "work", "--", "true"]).status == 0)
        let allowed = try runProcess(probe, ["step", "api-agent", "work", "--", "true"], environment: gov.environment)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        // Refused: out of scope, audited, never run.
        #expect(try gov.run(["exec", "-a", "cli-agent", "-t", "delete_all", "--", "true"]).status == 10)
        let refused = try runProcess(probe, ["step", "api-agent", "delete_all", "--", "true"], environment: gov.environment)
        #expect(refused.status == 10, "\(refused.stderr)")
        #expect(try JSONParser.parse(refused.stdout)["ended_by"] == .string("refused"))
        // Killed while it runs: stopped, exit 15.
        #expect(try Self.killedStep(gov, agent: "cli-agent", through: binary, ["exec", "-a", "cli-agent", "-t", "work", "--", "sleep", "60"]) == 15)
        #expect(try Self.killedStep(gov, agent: "api-agent", through: probe, ["step", "api-agent", "work", "--", "sleep", "60"]) == 15)
        // Killed before it starts: refused.
        #expect(try gov.run(["exec", "-a", "cli-agent", "-t", "work", "--", "true"]).status == 15)
        #expect(try runProcess(probe, ["step", "api-agent", "work", "--", "true"], environment: gov.environment).status == 15)

        let cliTrail = try Self.trail(gov, agent: "cli-agent"), apiTrail = try Self.trail(gov, agent: "api-agent")
        #expect(cliTrail == apiTrail)
        #expect(cliTrail.map(\.kind) == [EventKind.policyApplied, EventKind.toolCall, EventKind.toolResult, EventKind.scopeViolation, EventKind.toolCall,
                                         EventKind.operatorKill, EventKind.toolResult, EventKind.killEnforced], "\(cliTrail)")
        #expect(cliTrail[6].values["ended_by"] == .string("kill_switch"))
    }

    /// A priced tool through the Swift API's step pays as through `exec`: each step passed on is
    /// charged with its tool.call, the step the cap cannot hold is refused (12) and never runs.
    @Test(arguments: Backend.allCases)
    func aPricedToolIsChargedTheSameThroughTheAPIAndTheCLI(backend: Backend) throws {
        let gov = try Governance.applying("""
        agents:
          cli-agent:
            scope: {allowed_tools: [work]}
            budget: {per_session_usd: 0.05, tool_prices: {work: 0.02}}
          api-agent:
            scope: {allowed_tools: [work]}
            budget: {per_session_usd: 0.05, tool_prices: {work: 0.02}}
        """, backend: backend)
        let probe = Self.probe()
        let cli = try (0..<3).map { _ in try gov.run(["exec", "-a", "cli-agent", "-t", "work", "--", "true"]).status }
        let api = try (0..<3).map { _ in try runProcess(probe, ["step", "api-agent", "work", "--", "true"], environment: gov.environment).status }
        #expect(cli == [0, 0, 12] && api == cli, "\(cli) \(api)")

        let cliTrail = try Self.trail(gov, agent: "cli-agent"), apiTrail = try Self.trail(gov, agent: "api-agent")
        #expect(cliTrail == apiTrail)
        #expect(apiTrail.map(\.kind) == [EventKind.policyApplied, EventKind.toolCall, EventKind.costTracked, EventKind.toolResult,
                                         EventKind.toolCall, EventKind.costTracked, EventKind.toolResult, EventKind.budgetExceeded], "\(apiTrail)")
        #expect(apiTrail.filter { $0.kind == EventKind.costTracked }.allSatisfy { $0.values["tool"] == .string("work") })
        #expect(try gov.run(["audit", "verify"]).status == 0)
        let check = try gov.run(["db", "check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    /// The in-process calls: a scope denial, a budget reservation and its settlement, a loop, and
    /// the kill switch give the CLI's exit codes and events.
    @Test(arguments: Backend.allCases)
    func enforcementCallsMatchTheCLI(backend: Backend) async throws {
        let gov = try Governance.applying("""
        agents:
          cli-agent:
            scope: {allowed_tools: [work]}
            budget: {per_session_tokens: 100}
            loop: {window_seconds: 60, max_calls: 1, action: raise}
          api-agent:
            scope: {allowed_tools: [work]}
            budget: {per_session_tokens: 100}
            loop: {window_seconds: 60, max_calls: 1, action: raise}
        """, backend: backend)
        let api = try Self.api(gov)
        let admin = try api.operators.credential(keyFile: try gov.operatorKey("admin"))

        #expect(try gov.run(["scope", "check", "-a", "cli-agent", "-t", "work"]).status == 0)
        #expect(try api.scope.check(agentID: "api-agent", tool: "work").value?.matched == "work")
        #expect(try gov.run(["scope", "check", "-a", "cli-agent", "-t", "rm"]).status == 10)
        #expect(await Self.exitCode { _ = try api.scope.check(agentID: "api-agent", tool: "rm") } == 10)

        let reservation = try #require(try gov.json(["cost", "check", "-a", "cli-agent", "--projected-tokens", "60"])["reservation_id"]?.stringValue)
        #expect(try gov.run(["cost", "track", "-a", "cli-agent", "--tokens", "50", "--usd", "0", "--reservation", reservation]).status == 0)
        #expect(try gov.run(["cost", "check", "-a", "cli-agent", "--projected-tokens", "60"]).status == 12)
        let checked = try #require(try api.cost.check(agentID: "api-agent", projection: CostProjection(tokens: 60)).value)
        let tracked = try api.cost.track(agentID: "api-agent", usage: CostLedger.Usage(tokens: 50, usd: .zero), reservationID: checked.reservation?.id)
        #expect(tracked.status == .appended)
        #expect(await Self.exitCode { _ = try api.cost.check(agentID: "api-agent", projection: CostProjection(tokens: 60)) } == 12)
        #expect(try api.cost.snapshot(agentID: "api-agent").sessionTokensUsed == 50)

        #expect(try gov.run(["loop", "record", "-a", "cli-agent", "-t", "work"]).status == 0)
        #expect(try gov.run(["loop", "record", "-a", "cli-agent", "-t", "work"]).status == 13)
        _ = try api.loop.record(agentID: "api-agent", tool: "work")
        #expect(await Self.exitCode { _ = try api.loop.record(agentID: "api-agent", tool: "work") } == 13)

        #expect(try gov.run(["presence", "kill", "cli-agent", "--reason", "stop"]).status == 0)
        try api.presence.kill(agentID: "api-agent", reason: "stop", by: admin)
        #expect(try gov.run(["presence", "status", "cli-agent"]).status == 15)
        #expect(await Self.exitCode { try api.presence.assertAlive(agentID: "api-agent") } == 15)
        #expect(try api.presence.isKilled(agentID: "api-agent"))
        #expect(try gov.run(["scope", "check", "-a", "cli-agent", "-t", "work"]).status == 15)
        #expect(await Self.exitCode { _ = try api.scope.check(agentID: "api-agent", tool: "work") } == 15)

        #expect(try Self.trail(gov, agent: "cli-agent") == Self.trail(gov, agent: "api-agent"))
        #expect(try api.audit.verify().ok)
    }

    /// `audit log`, `verify` and `events --verify` through the API, and the subscription seeing
    /// an event the CLI appends.
    @Test(arguments: Backend.allCases)
    func auditThroughTheAPI(backend: Backend) async throws {
        let gov = try Governance(backend: backend)
        let api = try Self.api(gov)
        let session = try SessionID.random()
        let logged = try api.audit.log(AuditEventInput(sessionID: session, agentID: "a", kind: "step", metadata: .object([("i", .int(1))])))
        #expect(logged.status == .appended && logged.records.first?.seq == 1)
        #expect(await Self.exitCode { _ = try api.audit.log(AuditEventInput(sessionID: session, agentID: "a", kind: EventKind.operatorKill)) } == 2)

        let stream = api.audit.subscribe(AuditFilter(sessionID: session), backlog: 1)
        var deliveries = stream.makeAsyncIterator()
        guard case .event(let first)? = try await deliveries.next() else { Issue.record("no backlog"); return }
        #expect(first.seq == 1)
        #expect(try gov.run(["audit", "log", "-a", "a", "-k", "step", "-s", session.value]).status == 0)
        guard case .event(let second)? = try await deliveries.next() else { Issue.record("no new event"); return }
        #expect(second.seq == 2)

        #expect(try api.audit.trace(session).map(\.seq) == [1, 2])
        #expect(try api.audit.events(AuditFilter(sessionID: session), verify: true).count == 2)
        try gov.database!.rawConnection().execute("UPDATE governance_audit_events SET kind = 'edited' WHERE seq = 1")
        #expect(await Self.exitCode { _ = try api.audit.verify() } == 20)
        #expect(try gov.run(["audit", "verify"]).status == 20)
        #expect(await Self.exitCode { _ = try api.audit.events(AuditFilter(sessionID: session), verify: true) } == 20)
        #expect(await Self.exitCode { _ = try api.audit.trace(session) } == 20)
    }
}

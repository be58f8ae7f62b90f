import Glibc
import GovernanceCore

// One agent session governed through the Swift API, in a throwaway store: a scope check, a
// budget (a reservation settled with the spend), an approval granted by an operator, governed
// steps, and a kill that refuses the next step with exit 15.
//   swift-agent [HOME]      HOME: a new folder for the store, the secret and the spool.

let home = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "/tmp/swift-agent-\(getpid())"
exit(await runAgent(home: home))

func runAgent(home: String) async -> Int32 {
    do {
        try await session(home: home)
        print("swift-agent: every step went as governed")
        return 0
    } catch let error as GovernanceError {
        print("swift-agent: unexpected: \(error.message) (exit \(error.exitCode))")
        return error.exitCode
    } catch {
        print("swift-agent: unexpected: \(error)")
        return 1
    }
}

func session(home: String) async throws {
    mkdir(home, 0o700)
    // The embedded store in HOME; its secret is generated there (nothing read from the environment).
    let configuration = Configuration(store: .sqlite(path: home + "/governance.db"), home: home, usesEmbeddedDefault: true)
    let governance = try Governance(configuration: configuration, environment: { _ in nil })
    let agent = "invoice-agent"

    // The operator: a key made here and registered as the store's first operator.
    let key = try OperatorKey.generate()
    let operatorName = "example-operator"
    try governance.operators.add(name: operatorName, publicKey: key.publicKey, by: nil)
    let admin = OperatorCredential(name: operatorName, key: key)
    try governance.policy.apply("""
        agents:
          \(agent):
            scope: {allowed_tools: [fetch_invoice, charge_customer]}
            budget: {per_session_tokens: 10000}
            contracts:
              charge_customer:
                pre:
                  - {check: hitl_approved, message: "Charges need an operator's approval", params: {kind: charge.customer}}
        """, by: admin)

    // Scope: default deny.
    let allowed = try governance.scope.check(agentID: agent, tool: "fetch_invoice")
    print("scope: fetch_invoice allowed (\(allowed.value?.matched ?? "?"))")
    do {
        _ = try governance.scope.check(agentID: agent, tool: "delete_all")
        throw GovernanceError.internalError("delete_all was allowed")
    } catch let error as GovernanceError where error.exitCode == 10 {
        print("scope: delete_all refused, exit \(error.exitCode): \(error.message)")
    }

    // Budget: reserve the call's tokens, run the step, settle the reservation with the spend.
    let budget = try governance.cost.check(agentID: agent, projection: CostProjection(tokens: 2000))
    let reservation = budget.value?.reservation
    print("budget: reserved \(reservation?.tokens ?? 0) tokens")
    let fetched = try await governance.step(StepRequest(agentID: agent, tool: "fetch_invoice", argv: ["/bin/echo", "invoice 118: 42.00 EUR"]))
    try expect(fetched.exitStatus == 0, "fetch_invoice exited \(fetched.exitStatus)")
    _ = try governance.cost.track(agentID: agent, usage: CostLedger.Usage(tokens: 1800, usd: try Money.parse("0.0042")), reservationID: reservation?.id)
    print("budget: \(try governance.cost.snapshot(agentID: agent).sessionTokensUsed) of 10000 tokens used")

    // Approval: the agent asks for this one step; the operator grants while the agent waits.
    let charge = ["/bin/echo", "charged invoice 118"]
    let issued = try governance.gates.request(agentID: agent, kind: "charge.customer", step: (tool: "charge_customer", argv: charge))
    let requestID = issued.value!.request.requestID
    async let decision = governance.gates.wait(requestID: requestID, timeout: 60)
    try governance.gates.grant(requestID: requestID, by: admin)
    let granted = try await decision
    print("approval: request \(requestID) granted by \(granted.value?.decidedBy ?? "?")")
    let charged = try await governance.step(StepRequest(agentID: agent, tool: "charge_customer", argv: charge))
    try expect(charged.exitStatus == 0, "charge_customer exited \(charged.exitStatus)")

    // Kill: the operator halts the agent; its next step never starts.
    try governance.presence.kill(agentID: agent, reason: "end of the example", by: admin)
    let refused = try await governance.step(StepRequest(agentID: agent, tool: "fetch_invoice", argv: ["/bin/echo", "must not run"]))
    guard case .refused(let error) = refused.run, error.exitCode == 15 else {
        throw GovernanceError.internalError("the killed agent's step was not refused with exit 15 (exit \(refused.exitStatus))")
    }
    print("kill: next step refused, exit \(error.exitCode) (\(error.kind.meaning))")

    let report = try governance.audit.verify()
    print("audit: \(report.rowsVerified) events in \(report.sessions) sessions verified")
}

func expect(_ condition: Bool, _ message: String) throws {
    if !condition { throw GovernanceError.internalError(message) }
}

/// `governance exec`'s checks before the command starts, in one pass of the enforcement path:
/// the kill switch (the path's own), scope for the tool, the budget, the loop record and the
/// contract's pre-conditions. A denial carries its own exit code (10-15).
public struct ExecClearance: Sendable {
    public var tool: String
    public var loop: LoopDetector.Observation
    public var contract: ContractOutcome
    /// What the step's projection holds against the budget until the step ends.
    public var reservation: Reservation?
    /// A priced tool's price (`budget.tool_prices`), held against the USD caps apart from the
    /// projection; charged when the call is passed on (`Enforcer.passOn`).
    public var charge: ToolCharge? = nil
    /// The tool's contract, in the policy that allowed the step, has post-conditions to check.
    public var postConditions = false
}

extension Enforcer {
    /// `argv` binds approvals: `hitl_approved` uses only an approval requested for this tool and
    /// exactly this argv (`Gates.stepDigest`).
    /// `projection` (the step's projected tokens, priced with its model) is checked against every
    /// cap and reserved, as `cost check` does, in the same pass. A tool the budget prices
    /// (`tool_prices`) has its price checked against the caps and reserved too, in the same
    /// transaction as the projection (`ExecClearance.charge`): N concurrent calls never jointly pass
    /// a USD cap, and a denial leaves nothing reserved.
    /// `action` names the caller in a denial's audit (`exec`, `mcp.tools_call`).
    public func execCheck(agentID: String, sessionID: SessionID?, tool: String, argv: [String], projection: CostProjection = .none,
                          failOpen: Bool = false, action: String = "exec", at time: Timestamp? = nil) throws -> EnforcementResult<ExecClearance> {
        let digest = Gates.stepDigest(tool: tool, argv: argv)
        try Identifier.check(tool, field: "tool")
        var metadata: [(String, JSONValue)] = [("tool", .string(tool))]
        if projection.tokens > 0 { metadata.append(("projected_tokens", .int64(projection.tokens))) }
        if let model = projection.model { metadata.append(("model", .string(model))) }
        return try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: action, failOpen: failOpen,
                                              metadata: metadata, time: time,
                                              violationKind: ContractPhase.pre.violationKind)) { context in
            let policy = try context.policy()
            _ = try ScopeCheck.check(.tool(tool), policy: policy, agentID: context.agentID)
            try replaySpool(context)
            // A price of 0 charges nothing: the tool is as if unpriced.
            let price = policy?.budget?.price(of: tool).flatMap { $0 > .zero ? $0 : nil }
            // The budget first, without reserving: a step over budget must not use up its approval.
            // Judged on all it would hold (the projection and the price together), so what the
            // reservation below would deny is denied here, before the loop record and approvals.
            // (Without a budget there are no caps, and no write transaction to pay for.)
            if let budget = policy?.budget {
                let ledger = CostLedger(db: context.db)
                let early = CostProjection(tokens: projection.tokens,
                                           usd: Money(nanos: projection.usd.nanos.saturatingAdd((price ?? .zero).nanos)),
                                           model: projection.model, priced: projection.priced)
                _ = try ledger.inWriteTransaction {
                    try ledger.decide(agentID: context.agentID, sessionID: context.sessionID, budget: budget, projection: early, at: context.now)
                }
            }
            let loop = try LoopDetector.recordCheck(context, tool: tool, onlyWithPolicy: true)
            let contract = try ContractEvaluation.evaluate(context, tool: tool, phase: .pre, approvalFor: .step(digest))
            // Reserved last, so that a later denial does not leave a reservation behind; the
            // projection and the price in one transaction, so both are held or neither.
            var reservation: Reservation?
            var charge: ToolCharge?
            if !projection.isEmpty || price != nil {
                let ledger = CostLedger(db: context.db)
                try ledger.inWriteTransaction {
                    if !projection.isEmpty {
                        reservation = try ledger.reserve(agentID: context.agentID, sessionID: context.sessionID, budget: policy?.budget,
                                                         projection: projection, at: context.now).reservation
                    }
                    // Held apart from the projection: the command settles its projection with its
                    // real spend, and the charge settles the price.
                    if let price, let budget = policy?.budget,
                       let held = try ledger.reserve(agentID: context.agentID, sessionID: context.sessionID, budget: budget,
                                                     projection: CostProjection(tokens: 0, usd: price), at: context.now).reservation {
                        charge = ToolCharge(tool: tool, usd: price, reservation: held, alertAt: budget.alertAtPercent != nil)
                    }
                }
            }
            return ExecClearance(tool: tool, loop: loop, contract: contract, reservation: reservation, charge: charge,
                                 postConditions: policy?.contract(for: tool)?.post.isEmpty == false)
        }
    }
}

/// The audit events around a governed command.
public enum ExecEvents {
    /// SHA-256 (hex) of the argv as a canonical JSON array of strings.
    public static func argvHash(_ argv: [String]) -> String {
        Digest.sha256Hex(JSONWriter.canonical(.array(argv.map(JSONValue.string))))
    }

    public static func call(agentID: String, sessionID: SessionID, tool: String, callID: String, argv: [String], stdinHash: String?) -> AuditEventInput {
        var metadata: [(String, JSONValue)] = [("tool", .string(tool)), ("call_id", .string(callID)), ("argv_sha256", .string(argvHash(argv))),
                                               ("argc", .int(argv.count))]
        if let stdinHash { metadata.append(("stdin_sha256", .string(stdinHash))) }
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.toolCall, inputHash: stdinHash, metadata: .object(metadata))
    }

    public static func result(agentID: String, sessionID: SessionID, tool: String, callID: String, callSeq: Int64?,
                              finished: ChildProcess.Finished) -> AuditEventInput {
        var metadata: [(String, JSONValue)] = [("tool", .string(tool)), ("call_id", .string(callID))]
        if let callSeq { metadata.append(("call_seq", .int64(callSeq))) }
        metadata += finished.ending.metadata
        metadata.append(("duration_us", .int64(finished.durationMicroseconds)))
        if let stdoutHash = finished.stdoutHash { metadata.append(("stdout_sha256", .string(stdoutHash))) }
        metadata.append(("containment", .string(finished.containment)))
        // Bounded: a fork bomb's thousands of processes are counted, not listed.
        metadata.append(("stopped_processes", .array(finished.stopped.prefix(maxListedProcesses).map(\.json))))
        if finished.stopped.count > maxListedProcesses { metadata.append(("stopped_processes_total", .int(finished.stopped.count))) }
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.toolResult, outputHash: finished.stdoutHash,
                               metadata: .object(metadata))
    }

    public static let maxListedProcesses = 100

    /// `tool.result` of a command that could not be started.
    public static func notStarted(agentID: String, sessionID: SessionID, tool: String, callID: String, callSeq: Int64?,
                                  failure: ChildProcess.SpawnFailure) -> AuditEventInput {
        AuditEventInput(sessionID: sessionID, agentID: agentID, kind: EventKind.toolResult, metadata: .object([
            ("tool", .string(tool)), ("call_id", .string(callID)), ("call_seq", callSeq.map { .int64($0) } ?? .null),
            ("spawn_errno", .int(Int(failure.errno))), ("exit_status", .int(Int(failure.exitStatus)))]))
    }
}

/// `governance exec`'s checks before the command starts, in one pass of the enforcement path:
/// the kill switch (the path's own), scope for the tool, the budget, the loop record and the
/// contract's pre-conditions. A denial carries its own exit code (10-15).
public struct ExecClearance: Sendable {
    public var tool: String
    public var loop: LoopDetector.Observation
    public var contract: ContractOutcome
}

extension Enforcer {
    public func execCheck(agentID: String, sessionID: SessionID?, tool: String, failOpen: Bool = false,
                          at time: Timestamp? = nil) throws -> EnforcementResult<ExecClearance> {
        try Identifier.check(tool, field: "tool")
        return try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "exec", failOpen: failOpen,
                                              metadata: [("tool", .string(tool))], time: time,
                                              violationKind: ContractPhase.pre.violationKind)) { context in
            let policy = try context.policy()
            _ = try ScopeCheck.check(.tool(tool), policy: policy, agentID: context.agentID)
            _ = try CostLedger(db: context.db).check(agentID: context.agentID, sessionID: context.sessionID,
                                                     budget: policy?.budget, at: context.now)
            let loop = try LoopDetector.recordCheck(context, tool: tool)
            let contract = try ContractEvaluation.evaluate(context, tool: tool, phase: .pre)
            return ExecClearance(tool: tool, loop: loop, contract: contract)
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
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: "tool.call", inputHash: stdinHash, metadata: .object(metadata))
    }

    public static func result(agentID: String, sessionID: SessionID, tool: String, callID: String, callSeq: Int64?,
                              ending: ChildProcess.Ending, durationMicroseconds: Int64, stdoutHash: String?) -> AuditEventInput {
        var metadata: [(String, JSONValue)] = [("tool", .string(tool)), ("call_id", .string(callID))]
        if let callSeq { metadata.append(("call_seq", .int64(callSeq))) }
        metadata += ending.metadata
        metadata.append(("duration_us", .int64(durationMicroseconds)))
        if let stdoutHash { metadata.append(("stdout_sha256", .string(stdoutHash))) }
        return AuditEventInput(sessionID: sessionID, agentID: agentID, kind: "tool.result", outputHash: stdoutHash, metadata: .object(metadata))
    }
}

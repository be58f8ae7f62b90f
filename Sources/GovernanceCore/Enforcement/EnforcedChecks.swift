/// The enforcement commands, each one call through `Enforcer.enforce` (a CLI command is a thin
/// file around one of these).
extension Enforcer {
    /// `scope check --tool T` / `--api "METHOD URL"`: 0 allowed, 10 violation, 11 no policy.
    public func scopeCheck(agentID: String, sessionID: SessionID?, _ request: ScopeCheck.Request,
                           failOpen: Bool = false, at time: Timestamp? = nil) throws -> EnforcementResult<ScopeCheck.Decision> {
        try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "scope.check", failOpen: failOpen,
                                       metadata: request.metadata, time: time)) { context in
            try ScopeCheck.check(request, policy: try context.policy(), agentID: context.agentID)
        }
    }

    /// `cost check [--projected-tokens N]`: 0 allowed (with the snapshot), 11 no policy, 12 a cap
    /// is reached. An agent whose policy has no budget has no caps.
    public func costCheck(agentID: String, sessionID: SessionID?, projectedTokens: Int64? = nil,
                          failOpen: Bool = false, at time: Timestamp? = nil) throws -> EnforcementResult<BudgetSnapshot> {
        var metadata: [(String, JSONValue)] = []
        if let projectedTokens { metadata.append(("projected_tokens", .int64(projectedTokens))) }
        return try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "cost.check", failOpen: failOpen,
                                              metadata: metadata, time: time)) { context in
            guard let policy = try context.policy() else {
                throw GovernanceError(.noPolicy, "agent \(quoted(context.agentID)) has no policy, so it may do nothing (default deny)",
                                      hint: "apply one with `governance policy apply -f POLICY.yaml`")
            }
            return try CostLedger(db: context.db).check(agentID: context.agentID, sessionID: context.sessionID, budget: policy.budget,
                                                        projectedTokens: projectedTokens, at: context.now)
        }
    }

    /// `loop record --tool T`: 0 (also for a loop under `action: log`, with a warning), 13 under
    /// `action: raise`. The call is recorded either way; no loop policy means it just passes.
    public func loopRecord(agentID: String, sessionID: SessionID?, tool: String,
                           failOpen: Bool = false, at time: Timestamp? = nil) throws -> EnforcementResult<LoopDetector.Observation> {
        try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "loop.record", failOpen: failOpen,
                                       metadata: [("tool", .string(tool))], time: time)) { context in
            try LoopDetector.recordCheck(context, tool: tool)
        }
    }
}

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

    /// `cost check [--projected-tokens N | --max-tokens N] [--model M]`: 0 allowed (with the
    /// snapshot and the reservation of the projection), 11 no policy, 12 a cap is reached. An agent
    /// whose policy has no budget has no caps (and nothing is reserved). Spend waiting in this
    /// host's spool is replayed first, so the decision sees it. `exec` calls this with its own
    /// projection and settles the reservation with the step's spend (`CostLedger.settle`).
    public func costCheck(agentID: String, sessionID: SessionID?, projection: CostProjection = .none,
                          failOpen: Bool = false, at time: Timestamp? = nil) throws -> EnforcementResult<BudgetDecision> {
        var metadata: [(String, JSONValue)] = []
        if projection.tokens > 0 { metadata.append(("projected_tokens", .int64(projection.tokens))) }
        if projection.usd > .zero { metadata.append(("projected_usd", .string(projection.usd.decimal))) }
        if let model = projection.model { metadata.append(("model", .string(model))) }
        return try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "cost.check", failOpen: failOpen,
                                              metadata: metadata, time: time)) { context in
            guard let policy = try context.policy() else {
                throw GovernanceError(.noPolicy, "agent \(quoted(context.agentID)) has no policy, so it may do nothing (default deny)",
                                      hint: "apply one with `governance policy apply -f POLICY.yaml`")
            }
            try replaySpool(context)
            return try CostLedger(db: context.db).reserve(agentID: context.agentID, sessionID: context.sessionID, budget: policy.budget,
                                                          projection: projection, at: context.now)
        }
    }

    /// Replays this host's spool into the store before a budget decision: spend tracked while the
    /// store was away is counted when its event enters the chain, so without this the next check
    /// would not see it. A replay that fails is not a decision: it fails the check (closed).
    func replaySpool(_ context: EnforcementContext) throws {
        let spool = AuditSpool(home: configuration.home, configuration: configuration)
        guard !spool.pendingFiles().isEmpty else { return }
        let report = try spool.flush(into: AuditLog(db: context.db, keys: keys))
        if report.appended > 0 {
            context.warn("replayed \(report.appended) spooled event\(report.appended == 1 ? "" : "s") before the budget check")
        }
        for r in report.rejected {
            context.warn("a spooled event was set aside, not chained (\(r.file) line \(r.line)): \(r.reason)")
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

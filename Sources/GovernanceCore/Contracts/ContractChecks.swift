/// `contract check-pre` / `check-post`: the conditions of the agent's contract for a tool, through
/// the one enforcement path. The first failing condition denies (exit 14) naming the condition and
/// its message; the denial is audited as `contract.pre_violation` / `contract.post_violation`. No
/// policy, or no contract for the tool, passes.
public enum ContractPhase: String, Sendable {
    case pre, post

    var violationKind: String { "contract.\(rawValue)_violation" }
}

/// What a passing check did.
public struct ContractOutcome: Sendable {
    public var tool: String
    public var phase: ContractPhase
    /// The conditions checked (0 without a contract).
    public var conditions: Int
    /// The approvals a hitl_approved condition used up.
    public var consumedApprovals: [String]

    public var json: JSONValue {
        .object([("allowed", .bool(true)), ("tool", .string(tool)), ("phase", .string(phase.rawValue)),
                 ("conditions", .int(conditions)), ("consumed_approvals", .array(consumedApprovals.map(JSONValue.string)))])
    }
}

extension Enforcer {
    public func contractCheck(agentID: String, sessionID: SessionID?, tool: String, phase: ContractPhase, actionDigest: String? = nil,
                              failOpen: Bool = false, at time: Timestamp? = nil) throws -> EnforcementResult<ContractOutcome> {
        if let actionDigest, !Hex.isLowercaseHex(actionDigest, length: 64) {
            throw GovernanceError.invalid("an action digest is 64 lowercase hex characters (SHA-256)")
        }
        try Identifier.check(tool, field: "tool")
        return try enforce(EnforcementRequest(agentID: agentID, sessionID: sessionID, action: "contract.check_\(phase.rawValue)",
                                              failOpen: failOpen, metadata: [("tool", .string(tool))], time: time,
                                              violationKind: phase.violationKind)) { context in
            try ContractEvaluation.evaluate(context, tool: tool, phase: phase, approvalFor: actionDigest.map { .declared($0) } ?? .unnamed)
        }
    }
}

/// What a contract's conditions ask of the world: the store on the enforcement path
/// (`ContractEvaluation.StoreFacts`), a case's stated facts in `policy test`.
protocol ContractFacts {
    /// A granted, unexpired, unused approval of `kind` exists.
    func approvalAvailable(kind: String) throws -> Bool
    /// Throws `.budgetExceeded` when the agent is over a cap.
    func checkBudget(_ budget: BudgetPolicy?) throws
    /// The session logged a `tool.result` for the tool since its pre-check.
    func toolResultLogged(tool: String) throws -> Bool
    /// Why a custom condition fails; nil when it passes.
    func customFailure(_ condition: ContractCondition, tool: String) throws -> String?
}

/// What an approval must have been requested for to be used by `hitl_approved`.
enum ApprovalBinding: Sendable, Equatable {
    /// A call that names nothing (`contract check-pre` without --action-digest): only an approval
    /// that names neither a step nor a digest.
    case unnamed
    /// A step governance runs (`exec`, the MCP proxy), by its `Gates.stepDigest`: only an approval
    /// requested for that step (`gates request --tool T -- COMMAND`), which showed the operator the
    /// step itself (`governed_step`).
    case step(String)
    /// A digest the caller computed of its own action (`contract check-pre --action-digest`): only
    /// an approval requested with `--action-digest` of it. Such an approval shows the operator no
    /// step, so it never lets a step run, even when the declared digest is that step's.
    case declared(String)

    var digest: String? {
        switch self {
        case .unnamed: nil
        case .step(let digest), .declared(let digest): digest
        }
    }

    /// Whether a granted request (its digest already matched) was made for this binding.
    func admits(_ request: GateRequest) -> Bool {
        switch self {
        case .unnamed: return true
        case .step(let digest):
            guard let shown = Gates.boundStep(request.payloadJSON) else { return false }
            return Gates.stepDigest(tool: shown.tool, argv: shown.argv) == digest
        case .declared: return Gates.boundStep(request.payloadJSON) == nil
        }
    }
}

enum ContractEvaluation {
    /// `approvalFor`: what `hitl_approved` may use, the step being run or the action digest a
    /// caller declared (`ApprovalBinding`).
    static func evaluate(_ context: EnforcementContext, tool: String, phase: ContractPhase, approvalFor binding: ApprovalBinding = .unnamed) throws -> ContractOutcome {
        guard let policy = try context.policy(), let contract = policy.contract(for: tool) else {
            return ContractOutcome(tool: tool, phase: phase, conditions: 0, consumedApprovals: [])
        }
        let conditions = phase == .pre ? contract.pre : contract.post
        let approvalsToUse = try judge(conditions, tool: tool, phase: phase, policy: policy, agentID: context.agentID,
                                       binding: binding, facts: StoreFacts(context: context, binding: binding))
        var consumed: [String] = []
        for (index, condition) in approvalsToUse {
            guard let id = try Approvals.consume(context, kind: condition.kind ?? "", binding: binding) else {
                throw violation(tool: tool, phase: phase, index: index, condition: condition,
                                why: "the approval of kind \(quoted(condition.kind ?? "")) was used by another call first")
            }
            consumed.append(id)
            context.audit(kind: EventKind.contractApprovalUsed, metadata: [("tool", .string(tool)), ("request_id", .string(id)),
                                                                    ("approval_kind", .string(condition.kind ?? ""))])
        }
        if phase == .pre {
            // Marks where "since the pre-check" starts for audit_logged.
            context.audit(kind: EventKind.contractPreChecked, metadata: [("tool", .string(tool)), ("conditions", .int(conditions.count))])
        }
        return ContractOutcome(tool: tool, phase: phase, conditions: conditions.count, consumedApprovals: consumed)
    }

    /// The decision on a contract's conditions, in order: the first that fails throws a
    /// `.contractViolation` (exit 14). Returns the `hitl_approved` conditions whose approvals
    /// the caller uses up: only once every condition passed, so a later failing condition does
    /// not waste a human's approval. `facts` answers what the conditions ask of the world.
    static func judge(_ conditions: [ContractCondition], tool: String, phase: ContractPhase, policy: AgentPolicy, agentID: String,
                      binding: ApprovalBinding, facts: some ContractFacts) throws -> [(index: Int, condition: ContractCondition)] {
        var approvalsToUse: [(index: Int, condition: ContractCondition)] = []
        for (index, condition) in conditions.enumerated() {
            let fail = Failure(tool: tool, phase: phase, index: index, condition: condition)
            switch condition.check {
            case .hitlApproved:
                guard try facts.approvalAvailable(kind: condition.kind ?? "") else {
                    throw fail.error("no granted, unexpired, unused approval of kind \(quoted(condition.kind ?? ""))"
                                     + Self.named(binding))
                }
                approvalsToUse.append((index, condition))
            case .budgetAvailable:
                do {
                    try facts.checkBudget(policy.budget)
                } catch let error as GovernanceError where error.kind == .budgetExceeded {
                    throw fail.error(error.message)
                }
            case .scopeAllowed:
                if let why = try scopeDenial(tool: tool, policy: policy, agentID: agentID) { throw fail.error(why) }
            case .auditLogged:
                guard try facts.toolResultLogged(tool: tool) else {
                    throw fail.error("the session's chain holds no tool.result for \(quoted(tool)) since its contract pre-check")
                }
            case .custom:
                if let why = try facts.customFailure(condition, tool: tool) { throw fail.error(why) }
            }
        }
        return approvalsToUse
    }

    /// The enforcement path's facts: the store, and the custom commands run.
    struct StoreFacts: ContractFacts {
        let context: EnforcementContext
        let binding: ApprovalBinding

        func approvalAvailable(kind: String) throws -> Bool {
            try Approvals.available(context, kind: kind, binding: binding) != nil
        }

        func checkBudget(_ budget: BudgetPolicy?) throws {
            _ = try CostLedger(db: context.db).check(agentID: context.agentID, sessionID: context.sessionID, budget: budget, at: context.now)
        }

        func toolResultLogged(tool: String) throws -> Bool {
            try ToolResults.loggedSincePreCheck(context.db, session: context.sessionID, tool: tool)
        }

        func customFailure(_ condition: ContractCondition, tool: String) throws -> String? {
            CustomCheck.run(condition.command, timeoutSeconds: condition.timeoutSeconds,
                            environment: [(EnvironmentVariable.agentID.name, context.agentID),
                                          (EnvironmentVariable.sessionID.name, context.sessionID.value),
                                          (EnvironmentVariable.tool.name, tool)]).failure
        }
    }

    /// Why the scope denies the tool; nil when it allows it.
    static func scopeDenial(tool: String, policy: AgentPolicy, agentID: String) throws(GovernanceError) -> String? {
        do {
            _ = try ScopeCheck.check(.tool(tool), policy: policy, agentID: agentID)
            return nil
        } catch {
            guard error.kind == .scopeViolation || error.kind == .noPolicy else { throw error }
            return error.message
        }
    }

    /// What the missing approval was to be for, in a violation's message.
    static func named(_ binding: ApprovalBinding) -> String {
        switch binding {
        case .unnamed: ""
        case .step(let digest): " for this step (digest \(digest.prefix(16))...)"
        case .declared(let digest): " for the action digest \(digest.prefix(16))..."
        }
    }

    struct Failure {
        let tool: String, phase: ContractPhase, index: Int, condition: ContractCondition
        func error(_ why: String) -> GovernanceError { violation(tool: tool, phase: phase, index: index, condition: condition, why: why) }
    }

    static func violation(tool: String, phase: ContractPhase, index: Int, condition: ContractCondition, why: String) -> GovernanceError {
        let message = condition.message.isEmpty ? "" : ": \(quoted(condition.message))"
        return GovernanceError(.contractViolation,
                               "the \(phase.rawValue)-condition \(condition.check.rawValue) (#\(index + 1)) of tool \(quoted(tool)) failed\(message) (\(why))",
                               hint: condition.check == .hitlApproved ? "request an approval with `governance gates request --kind \(condition.kind ?? "")` and have an operator grant it" : nil,
                               details: [("tool", .string(tool)), ("phase", .string(phase.rawValue)), ("condition", .string(condition.check.rawValue)),
                                         ("condition_index", .int(index)), ("contract_message", .string(condition.message)), ("why", .string(why))])
    }
}

/// Granted approvals used by `hitl_approved`.
enum Approvals {
    /// How many granted rows are looked at for one check (a flood of hand-written rows cannot make
    /// a check read without end).
    static let scanLimit = 50

    /// The oldest usable approval: granted by a registered operator's signature, unexpired, unused,
    /// for this agent, for this session when the request named one, and made for `binding`.
    static func available(_ context: EnforcementContext, kind: String, binding: ApprovalBinding) throws -> String? {
        let stepDigest = binding.digest
        let rows = try context.db.query("""
            SELECT \(Gates.selected) FROM governance_gate_requests
            WHERE kind = ? AND agent_id = ? AND status = 'granted' AND consumed_at_us IS NULL AND expires_at_us >= ?
              AND (session_id IS NULL OR session_id = ?) AND \(stepDigest == nil ? "step_digest IS NULL" : "step_digest = ?")
            ORDER BY created_at_us, request_id LIMIT \(scanLimit)
            """, [.text(kind), .text(context.agentID), .int(context.now.microseconds), .text(context.sessionID.value)]
                + (stepDigest.map { [SQLValue.text($0)] } ?? []))
        for row in rows {
            let request = try Gates.request(from: row)
            guard binding.admits(request) else { continue }
            switch try Gates.verifiedDecision(context.db, request) {
            case .success(.granted): return request.requestID
            case .success: continue
            case .failure(let why): context.ignored(EventKind.gateGranted, why)
            }
        }
        return nil
    }

    /// Uses one up: a conditional UPDATE, so of two concurrent calls one wins each approval.
    static func consume(_ context: EnforcementContext, kind: String, binding: ApprovalBinding) throws -> String? {
        for _ in 0..<3 {
            guard let id = try available(context, kind: kind, binding: binding) else { return nil }
            let changed = try context.db.execute("""
                UPDATE governance_gate_requests SET consumed_at_us = ?
                WHERE request_id = ? AND status = 'granted' AND consumed_at_us IS NULL AND expires_at_us >= ?
                """, [.int(context.now.microseconds), .text(id), .int(context.now.microseconds)])
            if changed == 1 { return id }
        }
        return nil
    }
}

/// `audit_logged`: a `tool.result` for the tool after the session's latest `contract.pre_checked`
/// for it. Both are matched on `metadata.tool`; the scans are bounded.
enum ToolResults {
    static let scanLimit = 10_000

    static func loggedSincePreCheck(_ db: SQLConnection, session: SessionID, tool: String) throws -> Bool {
        func names(_ row: SQLRow) throws -> Bool {
            guard let metadata = try? JSONParser.parse(try row.text(1)) else { return false }
            return metadata["tool"]?.stringValue.map { Identifier.same($0, tool) } ?? false
        }
        var since: Int64?
        for row in try db.query("""
            SELECT seq, metadata FROM governance_audit_events WHERE session_id = ? AND kind = 'contract.pre_checked'
            ORDER BY seq DESC LIMIT \(scanLimit)
            """, [.text(session.value)]) where try names(row) {
            since = try row.int(0)
            break
        }
        guard let since else { return false }
        for row in try db.query("""
            SELECT seq, metadata FROM governance_audit_events WHERE session_id = ? AND kind = 'tool.result' AND seq > ?
            ORDER BY seq LIMIT \(scanLimit)
            """, [.text(session.value), .int(since)]) where try names(row) {
            return true
        }
        return false
    }
}

/// Every audit event kind that governance itself writes, in one list. Writers use these names,
/// reports read them, and `audit log` refuses them (`reserved`): an event of one of these kinds
/// is evidence only when the command that owns it wrote it.
public enum EventKind {
    /// Who may write a kind, and so what makes an event of it evidence.
    public enum Owner: Sendable {
        /// The agent's own enforcement path and governed steps (the agent holds the audit secret:
        /// these are trusted as far as the chain is).
        case agentPath
        /// An operator: evidence only with a valid signature of a registered operator.
        case operatorAction
        /// Governance's own bookkeeping (reports, spend, presence).
        case governance
    }

    // Policies.
    public static let policyApplied = "policy.applied"
    public static let policyDeleted = "policy.deleted"

    // Denials by the enforcement path.
    public static let scopeViolation = "scope.violation"
    public static let policyMissing = "policy.missing"
    public static let budgetExceeded = "budget.exceeded"
    public static let loopDetected = "loop.detected"
    public static let contractViolation = "contract.violation"
    public static let contractPreViolation = "contract.pre_violation"
    public static let contractPostViolation = "contract.post_violation"
    /// The enforcement path refusing an action because an operator killed the agent.
    public static let killEnforced = "agent.killed"
    /// Any other enforcement denial (approval denied, timed out, pending, token rejected, ...).
    public static let enforcementDenied = "enforcement.denied"

    // Contracts.
    public static let contractPreChecked = "contract.pre_checked"
    public static let contractApprovalUsed = "contract.approval_used"

    // Presence: the agent's liveness and the operator's stop procedure (Art. 14(4)(e)).
    public static let presenceHeartbeat = "presence.heartbeat"
    public static let presenceIdle = "presence.idle"
    public static let presenceClose = "presence.close"
    public static let presenceUnresponsive = "presence.unresponsive"
    public static let operatorKill = "presence.kill"
    public static let operatorRevive = "presence.revive"

    // Approval gates.
    public static let gateRequested = "gate.requested"
    public static let gateGranted = "gate.granted"
    public static let gateDenied = "gate.denied"
    public static let gateCancelled = "gate.cancelled"
    public static let gateTokenRejected = "gate.token_rejected"
    public static let gateSelfApprovalRefused = "gate.self_approval_refused"

    // Operators and their signed actions.
    public static let operatorAdded = "operator.added"
    public static let operatorRemoved = "operator.removed"
    /// A stored operator action without a valid signature, ignored by the enforcement path.
    public static let operatorActionIgnored = "operator.action_ignored"

    // Governed actions and spend.
    public static let toolCall = "tool.call"
    public static let toolResult = "tool.result"
    public static let llmCall = "llm.call"
    public static let costTracked = "cost.tracked"
    /// Tracked spend reached a budget's `alert_at` share of a cap (once per cap and session or day).
    public static let budgetAlert = "budget.alert"
    /// `mcp proxy` refusing a message it cannot read (malformed, oversized, invalid JSON-RPC).
    public static let mcpMessageRejected = "mcp.message_rejected"

    /// Written by `compliance report` itself.
    public static let reportGenerated = "report.generated"
    /// `db check --repair` setting one derived row back to what the chain says, in the agent's own chain.
    public static let dbRepaired = "db.repaired"

    /// Every kind above with its owner.
    public static let owners: [String: Owner] = [
        policyApplied: .operatorAction, policyDeleted: .operatorAction,
        scopeViolation: .agentPath, policyMissing: .agentPath, budgetExceeded: .agentPath, loopDetected: .agentPath,
        contractViolation: .agentPath, contractPreViolation: .agentPath, contractPostViolation: .agentPath,
        killEnforced: .agentPath, enforcementDenied: .agentPath, contractPreChecked: .agentPath, contractApprovalUsed: .agentPath,
        presenceHeartbeat: .governance, presenceIdle: .governance, presenceClose: .governance, presenceUnresponsive: .governance,
        operatorKill: .operatorAction, operatorRevive: .operatorAction,
        gateRequested: .agentPath, gateGranted: .operatorAction, gateDenied: .operatorAction, gateCancelled: .operatorAction,
        gateTokenRejected: .agentPath, gateSelfApprovalRefused: .agentPath,
        operatorAdded: .operatorAction, operatorRemoved: .operatorAction, operatorActionIgnored: .governance,
        toolCall: .agentPath, toolResult: .agentPath, llmCall: .governance, costTracked: .governance, budgetAlert: .governance,
        mcpMessageRejected: .agentPath,
        reportGenerated: .governance, dbRepaired: .governance,
    ]

    /// Kinds that `audit log` and `audit log --batch` refuse: only the command that owns a kind
    /// writes it. `audit log` exits 2 and writes nothing; a batch rejects the line, names it and
    /// the reason in its report, appends the other lines and exits 0 (with --strict it appends
    /// nothing and exits 2).
    public static func isReserved(_ kind: String) -> Bool { owners[kind] != nil }

    /// For `audit log` (exit 2, nothing written) and each line of a batch (the line rejected).
    public static func checkLoggable(_ kind: String) throws(GovernanceError) {
        guard !isReserved(kind) else {
            throw .invalid("kind \(quoted(kind)) is reserved: only the governance command that owns it writes it",
                           hint: "use the command that records it (presence, cost track-usage, gates, exec, ...) or a kind of your own")
        }
    }

    /// Kinds governance writes only inside the transaction that changes what they record (an
    /// operator's action, a gate's request or refusal, the sweep's mark, a budget alert, a repair),
    /// never through the spool. A spool file is authenticated with a key the agent can derive, so
    /// `audit flush` refuses these kinds: replaying one would be evidence the agent made.
    public static func isSpoolable(_ kind: String) -> Bool {
        guard owners[kind] != .operatorAction else { return false }
        return ![gateRequested, gateTokenRejected, gateSelfApprovalRefused, presenceUnresponsive, budgetAlert, dbRepaired].contains(kind)
    }

    /// Kinds that count as evidence only with an operator's valid signature.
    public static func needsOperatorSignature(_ kind: String) -> Bool { owners[kind] == .operatorAction }
}

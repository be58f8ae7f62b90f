/// Every event kind the compliance reports read, in one place: the enforcement, operator and gate
/// commands write these, so aligning a name is one edit here. Checked against main after the
/// enforcement and operators merges: the operator's kill is `presence.kill` (in the agent's own
/// chain), `agent.killed` is the enforcement path refusing a killed agent, contracts write
/// `contract.violation`, and operators are named by the metadata field `by`.
public enum EvidenceKinds {
    // Policies: evidence that the detectors were configured.
    public static let policyApplied = "policy.applied"
    public static let policyDeleted = "policy.deleted"

    // Anomalies the detectors recorded (each is also the audit of a denial).
    public static let scopeViolation = "scope.violation"
    public static let policyMissing = "policy.missing"
    public static let budgetExceeded = "budget.exceeded"
    public static let loopDetected = "loop.detected"
    public static let contractPreViolation = "contract.pre_violation"
    public static let contractPostViolation = "contract.post_violation"
    public static let contractViolation = "contract.violation"
    public static let presenceUnresponsive = "presence.unresponsive"
    public static let gateTokenRejected = "gate.token_rejected"
    public static let gateSelfApprovalRefused = "gate.self_approval_refused"

    // Operator actions: the stop procedure (Art. 14(4)(e)) and its undoing.
    public static let operatorKill = "presence.kill"
    public static let operatorRevive = "presence.revive"
    public static let presenceHeartbeat = "presence.heartbeat"

    /// The enforcement path refusing an action because an operator killed the agent: the stop
    /// procedure working, not an anomaly.
    public static let killEnforced = "agent.killed"
    /// Any other enforcement denial (approval denied, timed out, pending, token rejected, ...).
    public static let enforcementDenied = "enforcement.denied"

    // Approval gates.
    public static let gateRequested = "gate.requested"
    public static let gateGranted = "gate.granted"
    public static let gateDenied = "gate.denied"

    // Governed actions.
    public static let toolCall = "tool.call"
    public static let toolResult = "tool.result"
    public static let llmCall = "llm.call"

    /// Written by `compliance report` itself.
    public static let reportGenerated = "report.generated"

    /// Kinds that record something going wrong: a violation, a loop, a silent agent, a forged
    /// token. Each should be followed by a logged response.
    public static let anomalies: Set<String> = [
        scopeViolation, policyMissing, budgetExceeded, loopDetected, contractPreViolation, contractPostViolation,
        contractViolation, presenceUnresponsive, gateTokenRejected, gateSelfApprovalRefused,
    ]

    /// Kinds that record a person or the policy reacting: a kill, a revival, a gate, a policy change.
    public static let responses: Set<String> = [
        operatorKill, operatorRevive, gateRequested, gateGranted, gateDenied, policyApplied, policyDeleted,
    ]

    /// Actions that passed through governance's checks (the "checks recorded" of functioning,
    /// with the denials: the anomalies, `agent.killed` and `enforcement.denied`).
    public static let actions: Set<String> = [toolCall, llmCall]
    public static let otherDenials: Set<String> = [killEnforced, enforcementDenied]

    /// Metadata fields read, by purpose (docs/COMPLIANCE.md lists them per section).
    public enum Field {
        /// Operator actions: who acted. `by` is what the operator commands write; `operator` is
        /// read when `by` is absent.
        public static let operatorBy = "by"
        public static let operatorName = "operator"
        public static let osUser = "os_user"
        public static let host = "host"
        /// Gates: which request a decision belongs to.
        public static let requestID = "request_id"
        /// Annex III 1(a) systems: the reference database a search ran against, and whether it matched.
        public static let referenceDatabase = "reference_database"
        public static let match = "match"
        /// Written into `report.generated`.
        public static let reportID = "report_id"
        public static let reportSHA256 = "report_sha256"
        public static let reportKind = "report_kind"
    }

    /// The violation categories of the summary report: the anomaly kinds grouped as a reader names them.
    public static let violationCategories: [(name: String, kinds: [String])] = [
        ("scope", [scopeViolation, policyMissing]),
        ("budget", [budgetExceeded]),
        ("loop", [loopDetected]),
        ("contract", [contractViolation, contractPreViolation, contractPostViolation]),
        ("gate", [gateTokenRejected, gateSelfApprovalRefused]),
        ("presence", [presenceUnresponsive]),
    ]
}

/// The sets of event kinds the compliance reports read. The kinds themselves are `EventKind`,
/// the one list every writer uses.
public enum EvidenceKinds {
    /// Kinds that record something going wrong: a violation, a loop, a silent agent, a forged
    /// token. Each should be followed by a logged response.
    public static let anomalies: Set<String> = [
        EventKind.scopeViolation, EventKind.policyMissing, EventKind.budgetExceeded, EventKind.loopDetected, EventKind.contractPreViolation, EventKind.contractPostViolation,
        EventKind.contractViolation, EventKind.presenceUnresponsive, EventKind.gateTokenRejected, EventKind.gateSelfApprovalRefused,
    ]

    /// Kinds that record a person or the policy reacting: a kill, a revival, a gate, a policy change.
    public static let responses: Set<String> = [
        EventKind.operatorKill, EventKind.operatorRevive, EventKind.gateRequested, EventKind.gateGranted, EventKind.gateDenied, EventKind.policyApplied, EventKind.policyDeleted,
    ]

    /// The pseudo-agent whose chain holds governance's own bookkeeping (operator registrations,
    /// reports not about one agent): never counted as an agent.
    public static let pseudoAgent = "governance"

    /// The responses only an operator may write: each counts only with a valid operator signature.
    public static let signedResponses: Set<String> = responses.union([EventKind.gateCancelled]).filter(EventKind.needsOperatorSignature)

    /// Actions that passed through governance's checks (the "checks recorded" of functioning,
    /// with the denials: the anomalies, `agent.killed` and `enforcement.denied`).
    public static let actions: Set<String> = [EventKind.toolCall, EventKind.llmCall]
    public static let otherDenials: Set<String> = [EventKind.killEnforced, EventKind.enforcementDenied]

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
        ("scope", [EventKind.scopeViolation, EventKind.policyMissing]),
        ("budget", [EventKind.budgetExceeded]),
        ("loop", [EventKind.loopDetected]),
        ("contract", [EventKind.contractViolation, EventKind.contractPreViolation, EventKind.contractPostViolation]),
        ("gate", [EventKind.gateTokenRejected, EventKind.gateSelfApprovalRefused]),
        ("presence", [EventKind.presenceUnresponsive]),
    ]
}

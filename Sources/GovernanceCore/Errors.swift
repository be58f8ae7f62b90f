/// The one error type of the toolkit. Every failure carries what happened, what to do about it,
/// and the exit code a script branches on (docs/EXIT-CODES.md).
public struct GovernanceError: Error, Sendable, CustomStringConvertible {
    /// The kinds of failure, one per row of the exit-code table.
    public enum Kind: String, Sendable, CaseIterable {
        case internalError = "internal_error"
        case usage = "usage"
        case invalidInput = "invalid_input"
        case configuration = "configuration"
        case storeUnavailable = "store_unavailable"
        case scopeViolation = "scope_violation"
        case noPolicy = "no_policy"
        case budgetExceeded = "budget_exceeded"
        case loopDetected = "loop_detected"
        case contractViolation = "contract_violation"
        case agentKilled = "agent_killed"
        case approvalDenied = "approval_denied"
        case approvalTimedOut = "approval_timed_out"
        case approvalPending = "approval_pending"
        case approvalTokenRejected = "approval_token_rejected"
        case integrityFailure = "integrity_failure"
        case complianceBelowThreshold = "compliance_below_threshold"
        case operatorNotPermitted = "operator_not_permitted"

        /// What the exit code tells a script, for the documented table (docs/EXIT-CODES.md).
        public var meaning: String {
            switch self {
            case .internalError: "internal error (a bug: please report it)"
            case .usage: "usage error: unknown command or flag, missing or malformed value; nothing written"
            case .invalidInput: "invalid input: an event, file or value breaks a rule; nothing written"
            case .configuration: "configuration: secret, store URL, permissions or schema"
            case .storeUnavailable: "store unavailable (failed closed)"
            case .scopeViolation: "scope violation: the tool or API is not allowed"
            case .noPolicy: "no policy registered for the agent"
            case .budgetExceeded: "budget exceeded"
            case .loopDetected: "loop detected"
            case .contractViolation: "contract violation"
            case .agentKilled: "agent killed by an operator"
            case .approvalDenied: "approval denied"
            case .approvalTimedOut: "approval timed out"
            case .approvalPending: "approval pending (non-blocking wait)"
            case .approvalTokenRejected: "approval token rejected (forged, replayed, expired or mismatched)"
            case .integrityFailure: "audit chain integrity failure"
            case .complianceBelowThreshold: "compliance report below --fail-on"
            case .operatorNotPermitted: "operator not permitted (self-approval)"
            }
        }

        /// The process exit code for this kind of failure.
        public var exitCode: Int32 {
            switch self {
            case .internalError: 1
            case .usage, .invalidInput: 2
            case .configuration: 3
            case .storeUnavailable: 4
            case .scopeViolation: 10
            case .noPolicy: 11
            case .budgetExceeded: 12
            case .loopDetected: 13
            case .contractViolation: 14
            case .agentKilled: 15
            case .approvalDenied: 16
            case .approvalTimedOut: 17
            case .approvalPending: 18
            case .approvalTokenRejected: 19
            case .integrityFailure: 20
            case .complianceBelowThreshold: 21
            case .operatorNotPermitted: 22
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// What the user can do next; shown as `hint:` and as `recovery_hint` in JSON.
    public var recoveryHint: String?
    /// Structured facts a script may want (for example the first bad `seq`).
    public var details: [(String, JSONValue)]

    public init(_ kind: Kind, _ message: String, hint: String? = nil, details: [(String, JSONValue)] = []) {
        self.kind = kind
        self.message = message
        self.recoveryHint = hint
        self.details = details
    }

    /// The process exit status when the caller chose one for governance's refusals
    /// (`exec --refusal-status`); the kind's own code otherwise.
    public var exitCodeOverride: Int32?

    public var exitCode: Int32 { exitCodeOverride ?? kind.exitCode }
    public var description: String { message }

    // Short constructors for the common kinds.
    public static func invalid(_ message: String, hint: String? = nil) -> GovernanceError {
        GovernanceError(.invalidInput, message, hint: hint)
    }
    public static func usage(_ message: String, hint: String? = nil) -> GovernanceError {
        GovernanceError(.usage, message, hint: hint)
    }
    public static func config(_ message: String, hint: String? = nil) -> GovernanceError {
        GovernanceError(.configuration, message, hint: hint)
    }
    public static func unavailable(_ message: String, hint: String? = nil) -> GovernanceError {
        GovernanceError(.storeUnavailable, message, hint: hint ?? "check that the database is running and reachable, or use the embedded store")
    }
    public static func internalError(_ message: String) -> GovernanceError {
        GovernanceError(.internalError, message, hint: "this is a bug in governance; please report it with the command that caused it")
    }
}

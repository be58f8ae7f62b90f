/// THE enforcement path. Every enforcement command (`scope check`, `cost check`, `loop record`,
/// `gates request` and `wait`, `contract check-*` and `exec`) calls `enforce`, which in this order:
/// 1. opens the store: unreachable is a denial with exit 4, or, when the caller passes
///    `failOpen`, an allow with a warning;
/// 2. reads the agent's kill marker: a killed agent is denied (exit 15), whoever asks;
/// 3. runs the command's own check (the closure), which returns a value or throws a denial;
/// 4. appends the denial to the audit chain through `AuditRecorder` (observation semantics: the
///    store, else the spool, else a placeholder; a denial whose audit write fails is still a
///    denial, with a warning).
///
/// Events without a session go to the agent's own chain (`AgentChain`).
///
/// A Swift program linking the core uses it like the CLI does:
/// ```swift
/// let configuration = try Configuration.resolve()
/// let keys = try configuration.loadSecret().secret.keys
/// let enforcer = Enforcer(configuration: configuration, keys: keys)
/// let result = try enforcer.enforce(.init(agentID: "billing-agent", sessionID: session, action: "scope.check")) { context in
///     try ScopeCheck.check(.tool("send_email"), policy: try context.policy(), agentID: context.agentID)
/// }
/// switch result.outcome {
/// case .allowed(let decision): print("allowed", decision.matched)
/// case .allowedFailOpen(let warning): print("allowed without a check:", warning)
/// case .denied(let error): print("denied:", error.message); exit(error.exitCode)
/// }
/// ```
public struct Enforcer {
    let configuration: Configuration
    let keys: PurposeKeys
    let openStore: () throws -> Store

    /// `openStore` defaults to `Store.open(configuration)`; tests and long-running programs may
    /// pass their own (a Swift agent may keep one store open).
    /// Every request this enforcer runs allows, with a warning, when the store cannot be reached
    /// (the global `--fail-open`, set once by whoever builds the enforcer; a request may also ask
    /// for it itself). Approvals never fail open: their paths ignore it.
    public let failOpen: Bool

    public init(configuration: Configuration, keys: PurposeKeys, openStore: (() throws -> Store)? = nil, failOpen: Bool = false) {
        self.configuration = configuration
        self.keys = keys
        self.openStore = openStore ?? { try Store.open(configuration) }
        self.failOpen = failOpen
    }

    /// Runs the enforcement path. Throws only for errors that are not decisions (bad input exit 2,
    /// configuration exit 3, internal errors, a damaged stored policy exit 20); every decision is
    /// in the result.
    public func enforce<Value>(_ request: EnforcementRequest,
                               check: (EnforcementContext) throws -> Value) throws -> EnforcementResult<Value> {
        try Identifier.check(request.agentID, field: "agent")
        let session = AgentChain.resolve(request.sessionID, agentID: request.agentID)
        var warnings: [String] = []

        let store: Store
        do {
            store = try openStore()
        } catch let error as GovernanceError where error.kind == .storeUnavailable {
            return unavailable(error, request: request, warnings: warnings)
        }

        let context = EnforcementContext(db: store.connection, agentID: request.agentID, sessionID: session,
                                         sessionGiven: request.sessionID != nil, now: request.time ?? .now())
        var outcome: EnforcementOutcome<Value>
        do {
            let kill = try KillMarkers.read(store.connection, agentID: request.agentID)
            if let ignored = kill.ignored {
                context.ignored(EventKind.operatorKill, ignored)
            }
            if let marker = kill.marker {
                outcome = .denied(marker.error)
            } else {
                outcome = .allowed(try check(context))
            }
        } catch let error as GovernanceError where error.kind == .storeUnavailable {
            return unavailable(error, request: request, warnings: context.warnings)
        } catch let error as GovernanceError where Self.isDenial(error.kind) {
            outcome = .denied(error)
        }
        warnings += context.warnings

        var events = context.events
        if case .denied(let error) = outcome {
            events.append(Self.denialEvent(error, request: request, session: session))
        }
        if !events.isEmpty {
            do {
                let pending = try events.map { try PendingEvent(validating: $0, at: context.now) }
                let recorder = AuditRecorder(spool: AuditSpool(home: configuration.home, configuration: configuration), keys: keys,
                                             requireDurable: false, openStore: { store })
                _ = try recorder.record(pending)
                warnings += recorder.warnings
            } catch {
                // Observation semantics: the decision stands whatever happened to its audit.
                let message = (error as? GovernanceError)?.message ?? "\(error)"
                warnings.append("the \(events.map(\.kind).joined(separator: ", ")) event could not be audited: \(message)")
            }
        }
        return EnforcementResult(outcome: outcome, warnings: warnings)
    }

    /// A recorder that appends through this path's store (observation semantics: the store, else
    /// the spool, else placeholders).
    public func recorder() -> AuditRecorder {
        AuditRecorder(spool: AuditSpool(home: configuration.home, configuration: configuration), keys: keys,
                      requireDurable: false, openStore: openStore)
    }

    /// A connection of its own for a watch that runs beside the caller's (the kill watch).
    func openStoreForWatch() throws -> Store { try Store.open(configuration) }

    /// The kinds that are decisions (denials), not failures of the command.
    static func isDenial(_ kind: GovernanceError.Kind) -> Bool {
        switch kind {
        case .scopeViolation, .noPolicy, .budgetExceeded, .loopDetected, .contractViolation, .agentKilled,
             .approvalDenied, .approvalTimedOut, .approvalPending, .approvalTokenRejected, .operatorNotPermitted:
            return true
        // A stored state that cannot be trusted (an unsigned policy, a damaged row) is refused, and
        // the refusal audited like any other.
        case .integrityFailure:
            return true
        default:
            return false
        }
    }

    /// The audit kind of a denial.
    public static func auditKind(_ kind: GovernanceError.Kind) -> String {
        switch kind {
        case .scopeViolation: EventKind.scopeViolation
        case .noPolicy: EventKind.policyMissing
        case .budgetExceeded: EventKind.budgetExceeded
        case .loopDetected: EventKind.loopDetected
        case .contractViolation: EventKind.contractViolation
        case .agentKilled: EventKind.killEnforced
        default: EventKind.enforcementDenied
        }
    }

    static func denialEvent(_ error: GovernanceError, request: EnforcementRequest, session: SessionID) -> AuditEventInput {
        var metadata: [(String, JSONValue)] = [("action", .string(request.action)), ("reason", .string(error.message)),
                                               ("exit_code", .int(Int(error.exitCode)))]
        for (key, value) in error.details where !metadata.contains(where: { $0.0 == key }) {
            metadata.append((key, value))
        }
        for (key, value) in request.metadata where !metadata.contains(where: { $0.0 == key }) {
            metadata.append((key, value))
        }
        let kind = error.kind == .contractViolation ? request.violationKind ?? auditKind(error.kind) : auditKind(error.kind)
        return AuditEventInput(sessionID: session, agentID: request.agentID, kind: kind, metadata: .object(metadata))
    }

    private func unavailable<Value>(_ error: GovernanceError, request: EnforcementRequest, warnings: [String]) -> EnforcementResult<Value> {
        if request.failOpen || (failOpen && !request.neverFailsOpen) {
            let warning = "the store is unavailable (\(error.message)); \(request.action) ALLOWED without a check because of --fail-open"
            return EnforcementResult(outcome: .allowedFailOpen(warning: warning), warnings: warnings + [warning])
        }
        return EnforcementResult(outcome: .denied(error), warnings: warnings)
    }
}

/// What an enforcement command asks.
public struct EnforcementRequest: Sendable {
    public var agentID: String
    /// nil: the agent's own chain (and, for per-session counters, the agent's own session).
    public var sessionID: SessionID?
    /// The command, for messages and the denial's metadata (`scope.check`, `cost.check`, ...).
    public var action: String
    /// Allow, with a warning, when the store cannot be reached (the global `--fail-open`).
    public var failOpen: Bool
    /// Never allowed without the store, whatever the enforcer's `failOpen` (an approval is never
    /// granted by an unreachable store).
    public var neverFailsOpen = false
    /// Added to a denial's audit metadata (the tool, the API call, ...).
    public var metadata: [(String, JSONValue)]
    /// The decision's time; now by default (tests pass their own).
    public var time: Timestamp?
    /// The audit kind of a contract violation by this check (`contract.pre_violation`); other
    /// denials (the kill switch, ...) keep their own kind.
    public var violationKind: String?

    public init(agentID: String, sessionID: SessionID?, action: String, failOpen: Bool = false,
                metadata: [(String, JSONValue)] = [], time: Timestamp? = nil, violationKind: String? = nil) {
        self.agentID = agentID
        self.sessionID = sessionID
        self.action = action
        self.failOpen = failOpen
        self.metadata = metadata
        self.time = time
        self.violationKind = violationKind
    }
}

/// What a check sees: the open store, the agent, its session (the agent's own when none was
/// given), the decision time; and where it records extra events and warnings.
public final class EnforcementContext {
    public let db: SQLConnection
    public let agentID: String
    public let sessionID: SessionID
    /// False when `sessionID` is the agent's own chain.
    public let sessionGiven: Bool
    public let now: Timestamp
    fileprivate(set) var events: [AuditEventInput] = []
    public fileprivate(set) var warnings: [String] = []

    init(db: SQLConnection, agentID: String, sessionID: SessionID, sessionGiven: Bool, now: Timestamp) {
        self.db = db
        self.agentID = agentID
        self.sessionID = sessionID
        self.sessionGiven = sessionGiven
        self.now = now
    }

    /// The agent's policy, read (and its signature checked) once per decision: the scope, loop,
    /// budget and contract checks of one call all ask for it. nil when it has none; a stored one
    /// without a valid operator signature is refused (exit 20), audited and said once.
    public func policy() throws -> AgentPolicy? {
        if let read = policyRead { return read }
        let read = try PolicyStore(db: db).verified(agentID)
        if let why = read.ignored {
            if !ignoredPolicyReported {
                ignoredPolicyReported = true
                ignored(EventKind.policyApplied, why)
            }
            throw PolicyStore.unsigned(agentID, why)
        }
        policyRead = .some(read.policy?.policy)
        return read.policy?.policy
    }
    private var policyRead: AgentPolicy??
    private var ignoredPolicyReported = false

    /// Audits an event of an allowed call (a loop detected under `action: log`), in this chain.
    public func audit(kind: String, metadata: [(String, JSONValue)] = [], model: String? = nil) {
        events.append(AuditEventInput(sessionID: sessionID, agentID: agentID, kind: kind, model: model, metadata: .object(metadata)))
    }

    public func warn(_ message: String) { warnings.append(message) }

    /// A stored operator action without a valid signature: not acted on, audited, and said.
    public func ignored(_ action: String, _ why: SignedAction.Rejection) {
        audit(kind: EventKind.operatorActionIgnored, metadata: [("action", .string(action)), ("reason", .string(why.rawValue))])
        warn("a stored \(action) for agent \(quoted(agentID)) carries no valid operator signature (\(why.rawValue)); it is ignored")
    }
}

public enum EnforcementOutcome<Value> {
    /// The check passed; its value.
    case allowed(Value)
    /// The store could not be reached and the caller chose `--fail-open`: nothing was checked.
    case allowedFailOpen(warning: String)
    /// The action must not proceed; the error's exit code says why (4 store unavailable, 10 scope,
    /// 11 no policy, 12 budget, 13 loop, 15 killed, ...).
    case denied(GovernanceError)
}

public struct EnforcementResult<Value> {
    public var outcome: EnforcementOutcome<Value>
    /// For stderr: fail-open, spooled or unaudited denials, loops under `action: log`.
    public var warnings: [String]

    /// The value when allowed, nil under fail-open; throws the denial.
    public func get() throws(GovernanceError) -> Value? {
        switch outcome {
        case .allowed(let value): return value
        case .allowedFailOpen: return nil
        case .denied(let error): throw error
        }
    }

    public var isAllowed: Bool {
        if case .denied = outcome { return false }
        return true
    }
}

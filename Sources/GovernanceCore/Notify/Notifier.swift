/// One notification: a JSON document (docs/schemas/notify-event.json) given on stdin to the
/// operator's hook when an agent asks for approval, is killed, is marked unresponsive, or crosses
/// a budget's alert threshold. `event` is the audit kind of what happened.
public struct NotifyEvent: Sendable {
    /// The document's format; a hook checks it before reading the rest.
    public static let version = 1

    public var event: String
    public var agentID: String
    public var sessionID: String?
    public var time: Timestamp
    /// What the event adds (request_id, reason, cap, ...), as the schema names them.
    public var details: [(String, JSONValue)]

    public init(event: String, agentID: String, sessionID: String?, time: Timestamp, details: [(String, JSONValue)] = []) {
        self.event = event
        self.agentID = agentID
        self.sessionID = sessionID
        self.time = time
        self.details = details
    }

    public var json: JSONValue {
        .object([("version", .int(Self.version)), ("event", .string(event)), ("time", .string(time.iso8601)),
                 ("time_unix", .int64(time.microseconds / 1_000_000)), ("agent_id", .string(agentID)),
                 ("session_id", .optional(sessionID))] + details)
    }
}

/// A command that receives notifications, run through `/bin/sh -c`.
public struct NotifyHook: Sendable, Equatable {
    public static let defaultTimeoutSeconds: Int64 = 5
    public static let maxTimeoutSeconds: Int64 = 60
    public static let maxCommandBytes = 4096

    public var command: String
    public var timeoutSeconds: Int64
    /// `policy` or the environment variable's name, for warnings.
    public var source: String

    public init(command: String, timeoutSeconds: Int64 = defaultTimeoutSeconds, source: String) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.source = source
    }

    /// `GOVERNANCE_NOTIFY_COMMAND`, when set and not empty.
    public static func fromEnvironment(_ environment: (String) -> String?) -> NotifyHook? {
        guard let command = environment(EnvironmentVariable.notifyCommand.name), !command.isEmpty else { return nil }
        return NotifyHook(command: command, source: EnvironmentVariable.notifyCommand.name)
    }
}

/// Delivers notifications without ever holding up or changing the command that raised them: each
/// hook gets the document on stdin and at most its timeout, after which its process group is
/// killed; all hooks of one command share `totalSeconds`, after which the rest are skipped. A
/// failure is a warning (`warnings`), never an error. The agent's policy hook (operator-signed)
/// always runs; the environment's hook runs besides it, never instead of it.
public final class Notifier {
    /// The most one command spends on its notifications.
    public static let defaultTotalSeconds: Double = 10

    let environmentHook: NotifyHook?
    let deadline: Int64
    let totalSeconds: Double
    public private(set) var warnings: [String] = []
    public private(set) var delivered = 0
    private var skipped = 0

    public init(environment: (String) -> String?, totalSeconds: Double = defaultTotalSeconds) {
        environmentHook = NotifyHook.fromEnvironment(environment)
        self.totalSeconds = totalSeconds
        deadline = Timestamp.now().microseconds + Int64(totalSeconds * 1_000_000)
    }

    /// The hooks an event of an agent with `policyHook` goes to.
    public func hooks(policyHook: NotifyHook?) -> [NotifyHook] {
        var hooks: [NotifyHook] = []
        if let policyHook { hooks.append(policyHook) }
        if let environmentHook, environmentHook.command != policyHook?.command { hooks.append(environmentHook) }
        return hooks
    }

    public func send(_ event: NotifyEvent, policyHook: NotifyHook?) {
        for hook in hooks(policyHook: policyHook) {
            let left = Double(deadline - Timestamp.now().microseconds) / 1e6
            guard left > 0.05 else {
                skipped += 1
                continue
            }
            let document = Array((JSONWriter.canonical(event.json) + "\n").utf8)
            if let failure = BoundedProcess.run(program: "/bin/sh", argv: ["sh", "-c", hook.command],
                                                environment: [(EnvironmentVariable.notifyEvent.name, event.event)],
                                                removing: Self.withheld, stdinBytes: document,
                                                timeoutSeconds: min(Double(hook.timeoutSeconds), left)) {
                warnings.append("the notification hook (\(hook.source)) for \(event.event) of \(quoted(event.agentID)) failed: "
                                + failure.replacing("\"/bin/sh\"", with: "the hook"))
            } else {
                delivered += 1
            }
        }
    }

    /// Every warning, with one for the notifications the shared deadline left unsent.
    public func finish() -> [String] {
        if skipped > 0 {
            warnings.append("\(skipped) notification(s) not sent: the hooks used up the \(BoundedProcess.seconds(totalSeconds)) s one command gives them")
            skipped = 0
        }
        return warnings
    }

    /// Not passed to a hook: the audit secret, and the variable that names a hook (a hook that
    /// runs governance must not notify itself).
    static let withheld = [EnvironmentVariable.auditSecret.name, EnvironmentVariable.notifyCommand.name]
}

extension Notifier {
    /// Hands `events` to their hooks: each agent's policy hook (its signature-verified policy in
    /// `db`; a policy no registered operator signed gives none) and the environment's. Returns
    /// the warnings; a failed or missing hook never fails the caller. The CLI and the Swift API
    /// both notify through this.
    public static func deliver(_ events: [NotifyEvent], db: SQLConnection?, environment: (String) -> String?) -> [String] {
        guard !events.isEmpty else { return [] }
        let notifier = Notifier(environment: environment)
        var policyHooks: [String: NotifyHook?] = [:]
        for event in events {
            let hook: NotifyHook?
            if let known = policyHooks[event.agentID] {
                hook = known
            } else {
                hook = db.flatMap { try? PolicyStore(db: $0).verified(event.agentID).policy?.policy.notify?.hook }
                policyHooks[event.agentID] = hook
            }
            notifier.send(event, policyHook: hook)
        }
        return notifier.finish()
    }
}

extension NotifyEvent {
    /// A new approval request (`gates request`).
    public static func requested(_ r: GateRequest) -> NotifyEvent {
        NotifyEvent(event: EventKind.gateRequested, agentID: r.agentID, sessionID: r.sessionID, time: r.createdAt,
                    details: [("request_id", .string(r.requestID)), ("gate_kind", .string(r.kind)),
                              ("action_hash", .string(r.actionHash)), ("step_digest", .optional(r.stepDigest)),
                              ("expires_at", .string(r.expiresAt.iso8601))])
    }

    /// An operator's kill (`presence kill`, `presence sweep --kill-after`).
    public static func killed(_ marker: KillMarker) -> NotifyEvent {
        NotifyEvent(event: EventKind.operatorKill, agentID: marker.agentID, sessionID: nil, time: marker.killedAt,
                    details: [("by", .string(marker.killedBy)), ("reason", .string(marker.reason))])
    }

    /// An agent a sweep marked Unresponsive.
    public static func unresponsive(_ agent: Presence.Swept, at time: Timestamp) -> NotifyEvent {
        NotifyEvent(event: EventKind.presenceUnresponsive, agentID: agent.agentID, sessionID: nil, time: time,
                    details: [("last_seen", .string(agent.lastSeen.iso8601)), ("seconds_since_seen", .int64(agent.secondsSinceSeen))])
    }
}

extension CostLedger {
    /// After spend entered the chain: the soft alerts of the agent's signature-verified budget
    /// (`alert_at`) that it reached, audited and handed to the notification hooks. An
    /// observation: it returns warnings (each alert, a failed hook, an alert that could not be
    /// checked) and never fails its caller.
    public func alertAfterSpend(agentID: String, sessionID: SessionID, keys: PurposeKeys, environment: (String) -> String?) -> [String] {
        do {
            // Every tracked spend asks; most policies set no alert, and saying so needs no signature check.
            let policies = PolicyStore(db: db)
            guard try policies.unverified(agentID)?.budget?.alertAtPercent != nil,
                  let budget = try policies.verified(agentID).policy?.policy.budget, budget.alertAtPercent != nil else { return [] }
            let alerts = try raiseAlerts(agentID: agentID, sessionID: sessionID, budget: budget, keys: keys)
            return alerts.map { "budget alert: \($0.agentID) used \($0.used) of \($0.cap) \($0.limit) (alert_at \($0.alertAtPercent)%)" }
                + Notifier.deliver(alerts.map(\.notifyEvent), db: db, environment: environment)
        } catch {
            return ["the budget alert could not be checked: \((error as? GovernanceError)?.message ?? "\(error)")"]
        }
    }
}

import GovernanceCore

/// Hands a command's events to the notification hooks (`Notifier`): each agent's policy hook,
/// read from `db` (a policy no registered operator signed gives none), and GOVERNANCE_NOTIFY_COMMAND.
/// Failures are warnings; the command's output and exit code stay what they were.
enum Notifications {
    static func send(_ events: [NotifyEvent], db: SQLConnection?, _ run: Run) {
        guard !events.isEmpty else { return }
        let environment = run.environment
        let notifier = Notifier(environment: { environment($0) })
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
        for warning in notifier.finish() { run.warn(warning) }
    }

    /// For commands whose store the enforcement path opened and closed: a connection of their own.
    static func send(_ events: [NotifyEvent], _ run: Run) {
        guard !events.isEmpty else { return }
        let store = try? Store.open(try run.configuration())
        send(events, db: store?.connection, run)
    }
}

import GovernanceCore

/// Hands a command's events to the notification hooks (`Notifier.deliver`), with the command's
/// environment. Failures are warnings; the command's output and exit code stay what they were.
enum Notifications {
    static func send(_ events: [NotifyEvent], db: SQLConnection?, _ run: Run) {
        let environment = run.environment
        for warning in Notifier.deliver(events, db: db, environment: { environment($0) }) { run.warn(warning) }
    }

    /// For commands whose store the enforcement path opened and closed: a connection of their own.
    static func send(_ events: [NotifyEvent], _ run: Run) {
        guard !events.isEmpty else { return }
        let store = try? Store.open(try run.configuration())
        send(events, db: store?.connection, run)
    }
}

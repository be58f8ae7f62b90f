import GovernanceCore

/// The flag every observation command takes, defined once (`CommandSpec.observing` adds it).
public enum Observation {
    public static let requireDurable: Flag<Bool> = .toggle("require-durable", "Exit 4 when the store is unreachable instead of spooling")
}

/// Where an observation's event went: the recorder's outcome, shaped for a command's rendering,
/// with the core's `Recorded.Status` word that the JSON output reports for it.
public enum Observed: Sendable {
    /// In the chain.
    case appended([AuditRecord])
    /// In the spool file at `path`, replayed by `audit flush`.
    case spooled(path: String)
    /// Neither store nor spool took it: placeholder records.
    case unavailable([AuditRecord])
    /// A presence report that changed nothing the chain records: state only, no event.
    case seen

    public init(_ outcome: AuditRecorder.Outcome) {
        switch outcome {
        case .appended(let records): self = .appended(records)
        case .spooled(let path, _): self = .spooled(path: path)
        case .placeholder(let records): self = .unavailable(records)
        case .stateOnly: self = .seen
        }
    }

    /// `appended` (or the command's own word for it, `tracked`), `spooled` or `unavailable`.
    public func status(appended: String = Recorded.Status.appended.rawValue) -> String {
        switch self {
        case .appended: appended
        case .spooled: Recorded.Status.spooled.rawValue
        case .unavailable: Recorded.Status.unavailable.rawValue
        case .seen: Recorded.Status.seen.rawValue
        }
    }

    public var spoolFile: String? {
        if case .spooled(let path) = self { return path }
        return nil
    }
}

extension CommandSpec {
    /// An observation command (`audit log`, `presence heartbeat`, `cost track`): it never breaks
    /// the calling script. `record` gets the run's `AuditRecorder` (store, else spool, else a
    /// placeholder) and returns what it recorded, usually with `Observed(outcome)`; the dispatcher
    /// then prints the recorder's warnings and calls `render`. The command takes
    /// `--require-durable` (exit 4 instead of spooling), added after its own flags.
    ///
    ///     CommandSpec.observing("idle", "...", doc: "...", flags: [...], positionals: [...],
    ///                           record: { args, run, recorder in Observed(try recorder.record([event])) },
    ///                           render: { recorded, args, run in run.emit(...); return 0 })
    public static func observing<Value>(
        _ name: String, _ summary: String, doc: String, flags: [any FlagDeclaration] = [],
        positionals: [any PositionalDeclaration] = [], examples: [String] = [], failures: [GovernanceError.Kind] = [.invalidInput],
        record: @escaping @Sendable (Arguments, Run, AuditRecorder) throws -> Value,
        render: @escaping @Sendable (Value, Arguments, Run) throws -> Int32
    ) -> CommandSpec {
        CommandSpec(name, summary, doc: doc, flags: flags + [Observation.requireDurable], positionals: positionals, examples: examples,
                    role: .observe, needs: .record, failures: failures) { args, run in
            let recorder = try run.recorder
            let value = try record(args, run, recorder)
            for warning in recorder.warnings { run.warn(warning) }
            return try render(value, args, run)
        }
    }
}

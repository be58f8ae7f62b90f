import GovernanceCore

extension CommandSpec {
    /// An enforcement command. Its `decide` gets the core's `Enforcer` (the one path: store, kill
    /// switch, the check, the audit of a denial) and must return what it decided; the dispatcher
    /// prints the path's warnings, honours `--fail-open`, turns a denial into its exit code (10-15,
    /// or 4 when the store is unreachable) and renders an allowed result with `render`. There is
    /// no other way to build an enforcement command, so none can go around the path. `needs` is
    /// for what the command reads before the path (the request a `gates wait` names).
    public static func enforcing<Value>(
        _ name: String, _ summary: String, doc: String, flags: [any FlagDeclaration] = [], positionals: [any PositionalDeclaration] = [],
        examples: [String] = [], needs: CommandNeeds = .nothing, failures: [GovernanceError.Kind],
        decide: @escaping @Sendable (Arguments, Run, Enforcer) throws -> EnforcementResult<Value>,
        render: @escaping @Sendable (Value, Arguments, Run) throws -> Int32,
        failOpen renderFailOpen: (@Sendable (Arguments, Run) throws -> Int32)? = nil
    ) -> CommandSpec {
        CommandSpec(name, summary, doc: doc, flags: flags, positionals: positionals, examples: examples, role: .enforce,
                    needs: needs, failures: failures) { args, run in
            // --fail-open is the enforcer's: no command passes it on (or forgets to).
            let result = try decide(args, run, try run.enforcer(failOpen: args.failOpen))
            for warning in result.warnings { run.warn(warning) }
            switch result.outcome {
            case .allowed(let value):
                return try render(value, args, run)
            case .allowedFailOpen(let warning):
                // `exec` still runs its command; the warning was printed above.
                if let renderFailOpen { return try renderFailOpen(args, run) }
                run.emit(json: .object([("allowed", .bool(true)), ("checked", .bool(false)), ("fail_open", .bool(true)),
                                        ("warning", .string(warning))]),
                         text: "ALLOWED without a check (--fail-open): the store is unavailable")
                return 0
            case .denied(let error):
                throw error
            }
        }
    }
}

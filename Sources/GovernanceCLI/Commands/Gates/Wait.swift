import GovernanceCore

extension GatesCommands {
    enum Wait {
        static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "Give up after this long (default: when the request expires)",
                                                   range: 0...Gates.maxTTL)
        static let noWait: Flag<Bool> = .toggle("no-wait", "Answer at once: exit 18 while the request is pending")

        static let command = CommandSpec.enforcing(
            "wait", "Wait for a decision: 0 granted, 16 denied, 17 timed out",
            doc: """
            Blocks until the request is granted (exit 0), denied (16), or --timeout passes or the request expires \
            (17). Wakes within a second of a decision from any process or host: LISTEN/NOTIFY on PostgreSQL, \
            the database's change counter on SQLite, and a jittered re-read every 0.5-1 s in case a \
            notification is lost. --no-wait answers at once and exits 18 while the request is pending. Goes \
            through the enforcement path: a killed agent is refused (exit 15), also when it is killed while it \
            waits. --fail-open does not apply: an approval is never granted by an unreachable store.
            """,
            flags: [timeout, noWait.conflicts(with: timeout)],
            positionals: [GatesCommands.requestArgument],
            examples: ["governance gates wait \"$REQUEST_ID\" --timeout 600 && do_the_payment"],
            needs: .read,
            failures: [.invalidInput, .approvalDenied, .approvalTimedOut, .approvalPending],
            decide: { args, run, enforcer in
                let id = try args.require(GatesCommands.requestArgument)
                guard SessionID(id) != nil else { throw GovernanceError.invalid("invalid request id \(Render.quoted(id)): expected a UUID") }
                guard let request = try Gates.find(try run.store.connection, requestID: id.lowercased()) else {
                    throw GovernanceError.invalid("no approval request \(Render.quoted(id))", hint: "`governance gates list` shows the requests")
                }
                let result = try enforcer.waitForApproval(request, timeout: try args[timeout].map(Double.init), noWait: try args.has(noWait))
                // The request as it stands goes to stdout with every outcome, as with a grant.
                if case .denied(let error) = result.outcome, let shown = error.details.first(where: { $0.0 == "request" })?.1 {
                    let status = shown["status"]?.stringValue ?? "?"
                    run.emit(json: shown, text: error.kind == .approvalTimedOut && status == "pending" ? "still pending" : status)
                }
                return result
            },
            render: { request, _, run in
                run.emit(json: request.json(), text: "granted by \(Render.escaped(request.decidedBy ?? "?"))")
                return 0
            })
    }
}

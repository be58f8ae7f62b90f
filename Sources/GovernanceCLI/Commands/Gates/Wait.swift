import GovernanceCore

extension Gates {
    enum Wait {
        static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "Give up after this long (default: when the request expires)",
                                                   range: 0...GovernanceCore.Gates.maxTTL)
        static let noWait: Flag<Bool> = .toggle("no-wait", "Answer at once: exit 18 while the request is pending", conflicts: ["timeout"])

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
            flags: [timeout, noWait],
            positionals: [Gates.requestArgument],
            examples: ["governance gates wait \"$REQUEST_ID\" --timeout 600 && do_the_payment"],
            needs: .read,
            failures: [.invalidInput, .approvalDenied, .approvalTimedOut, .approvalPending],
            decide: { args, run, enforcer, _ in
                let id = args.positionals[0]
                guard SessionID(id) != nil else { throw GovernanceError.invalid("invalid request id \(Render.quoted(id)): expected a UUID") }
                guard let request = try GovernanceCore.Gates.find(try run.store.connection, requestID: id.lowercased()) else {
                    throw GovernanceError.invalid("no approval request \(Render.quoted(id))", hint: "`governance gates list` shows the requests")
                }
                let agent = request.agentID
                return try enforcer.enforce(EnforcementRequest(agentID: agent, sessionID: request.sessionID.flatMap(SessionID.init), action: "gates.wait",
                                                               metadata: [("request_id", .string(request.requestID))])) { context in
                    try GovernanceCore.Gates.wait(context.db, requestID: request.requestID, timeout: args[timeout].map(Double.init),
                                                  noWait: args.has(noWait)) {
                        // A kill ends a wait that is already blocked, not only the next call.
                        if let marker = try KillMarkers.read(context.db, agentID: agent) { throw marker.error }
                    }
                }
            },
            render: { outcome, _, run in
            switch outcome {
            case .granted(let r):
                run.emit(json: r.json(), text: "granted by \(Render.escaped(r.decidedBy ?? "?"))")
                return 0
            case .denied(let r):
                run.emit(json: r.json(), text: "denied")
                throw GovernanceError(.approvalDenied, "request \(r.requestID) was denied by \(Render.quoted(r.decidedBy ?? "?"))" + (r.reason.map { ": \(Render.quoted($0))" } ?? ""),
                                      details: [("request_id", .string(r.requestID))])
            case .pending(let r):
                run.emit(json: r.json(), text: "pending")
                throw GovernanceError(.approvalPending, "request \(r.requestID) is pending (expires \(r.expiresAt.iso8601))",
                                      hint: "wait without --no-wait, or ask an operator to run `governance gates grant`",
                                      details: [("request_id", .string(r.requestID))])
            case .expired(let r):
                run.emit(json: r.json(), text: "expired")
                throw GovernanceError(.approvalTimedOut, "request \(r.requestID) expired at \(r.expiresAt.iso8601) without a decision",
                                      hint: "make a new request", details: [("request_id", .string(r.requestID))])
            case .timedOut(let r):
                run.emit(json: r.json(), text: "still pending")
                throw GovernanceError(.approvalTimedOut, "no decision on request \(r.requestID) within the timeout",
                                      hint: "wait again, or ask an operator to decide", details: [("request_id", .string(r.requestID))])
            }
            })
    }
}

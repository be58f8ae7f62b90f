import GovernanceCore

extension Gates {
    enum Wait {
        static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "Give up after this long (default: when the request expires)",
                                                   range: 0...GovernanceCore.Gates.maxTTL)
        static let noWait: Flag<Bool> = .toggle("no-wait", "Answer at once: exit 18 while the request is pending", conflicts: ["timeout"])

        static let command = CommandSpec(
            "wait", "Wait for a decision: 0 granted, 16 denied, 17 timed out",
            doc: """
            Blocks until the request is granted (exit 0), denied (16), or --timeout passes or the request expires \
            (17). Wakes within a second of a decision from any process or host: LISTEN/NOTIFY on PostgreSQL, \
            the database's change counter on SQLite, and a jittered re-read every 0.5-1 s in case a \
            notification is lost. --no-wait answers at once and exits 18 while the request is pending. An \
            enforcement command: a killed agent is refused (exit 15).
            """,
            flags: [timeout, noWait],
            positionals: [Gates.requestArgument],
            examples: ["governance gates wait \"$REQUEST_ID\" --timeout 600 && do_the_payment"],
            role: .enforce,
            needs: .read,
            failures: [.invalidInput, .approvalDenied, .approvalTimedOut, .approvalPending]
        ) { args, run in
            let outcome = try GovernanceCore.Gates.wait(try run.store.connection, requestID: args.positionals[0],
                                                        timeout: args[timeout].map(Double.init), noWait: args.has(noWait))
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
        }
    }
}

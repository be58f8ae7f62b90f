import GovernanceCore

extension GatesCommands {
    enum Review {
        static let limit: Flag<Int64> = .integer("limit", short: "n", "At most the N oldest pending requests (default 100)", range: 1...10_000)

        static let command = CommandSpec(
            "review", "Decide pending requests one by one at a terminal: grant, deny or skip",
            doc: """
            Shows each pending request, oldest first (request id, agent, session, kind, payload, action digest, \
            age and expiry; text from the store escaped), and asks grant, deny (with an optional reason) or skip; \
            q ends the review. Each decision is signed with --operator-key and checked exactly as `gates grant` \
            and `gates deny` check it (a request decided meanwhile or expired is refused, exit 19; the agent's \
            own operator cannot grant, exit 22), and audited. A refused decision is reported and the review goes \
            on; the exit code is then the first refusal's. Prompts go to stderr; the summary is the output \
            (--json: {"decisions": [...]}). Only a person at a terminal is asked: when stdin is not a terminal \
            the command exits 2 and writes nothing (scripts use `gates list --pending` and `gates grant|deny ID`).
            """,
            flags: [SharedFlags.operatorKey.required, limit],
            examples: ["governance gates review --operator-key ~/.config/governance/alice.pem"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .approvalTokenRejected, .operatorNotPermitted]
        ) { args, run in
            guard run.console.stdinIsTerminal else {
                throw GovernanceError.usage("gates review asks at a terminal, and standard input is not one",
                                            hint: "in a script: `governance gates list --pending`, then `governance gates grant ID` or `governance gates deny ID --reason TEXT`")
            }
            let signer = try SharedFlags.operatorCredential(args, run)
            let db = try run.store.connection
            let keys = try run.keys()
            // Oldest first, so a flood of new requests cannot push an older one out of the review.
            let shown = Int(try args[limit] ?? 100)
            var pending = try Gates.list(db, pendingOnly: true, limit: shown + 1, oldestFirst: true)
            let more = pending.count > shown
            if more { pending.removeLast() }
            let console = run.console
            let nextLine = try console.stdinLines()
            func ask(_ prompt: String) throws -> String? {
                console.flush()
                console.writeError(prompt)
                return try nextLine().map { String($0.trimmingSpaces) }
            }
            var decisions: [JSONValue] = []
            var summary: [String] = []
            var firstFailure: Int32 = 0
            if pending.isEmpty { console.errorLine("no pending requests") }
            if more { console.errorLine("more than \(shown) requests are pending: the oldest \(shown) are shown; run `gates review` again for the rest") }
            review: for (index, request) in pending.enumerated() {
                let now = Timestamp.now()
                console.errorLine("")
                console.errorLine("[\(index + 1)/\(pending.count)]")
                console.errorLine(GatesCommands.requestText(request))
                console.errorLine("digest    \(request.actionHash)" + (request.stepDigest.map { "\nstep      \($0)" } ?? ""))
                console.errorLine("age       \(Self.duration(now.microseconds - request.createdAt.microseconds)) (expires in \(Self.duration(request.expiresAt.microseconds - now.microseconds)))")
                var decision: Gates.Decision?
                var reason: String?
                asking: while true {
                    guard let answer = try ask("grant, deny, skip or quit? [g/d/s/q] ") else { break review }
                    switch answer.lowercased() {
                    case "g", "grant": decision = .grant
                    case "d", "deny":
                        decision = .deny
                        guard let typed = try ask("reason (optional): ") else { break review }
                        reason = typed.isEmpty ? nil : typed
                    case "s", "skip", "": decision = nil
                    case "q", "quit": break review
                    default:
                        console.errorLine("answer g (grant), d (deny), s (skip) or q (quit)")
                        continue asking
                    }
                    break asking
                }
                guard let decision else {
                    decisions.append(.object([("request_id", .string(request.requestID)), ("decision", .string("skip"))]))
                    summary.append("skipped \(request.requestID)")
                    continue
                }
                do {
                    let decided = try Gates.decide(db, keys: keys, requestID: request.requestID, decision: decision, by: signer.credential,
                                                   identity: signer.identity, reason: reason)
                    let verb = decision == .grant ? "granted" : "denied"
                    console.errorLine("\(verb) request \(decided.requestID)")
                    summary.append("\(verb) \(decided.requestID) (\(Render.escaped(decided.kind)) for \(Render.escaped(decided.agentID)))")
                    decisions.append(.object([("request_id", .string(decided.requestID)), ("decision", .string(decision.rawValue)),
                                              ("reason", .optional(reason))]))
                } catch let error as GovernanceError {
                    for line in Render.error(error, format: .text).split(separator: "\n") { console.errorLine(String(line)) }
                    if firstFailure == 0 { firstFailure = error.exitCode }
                    summary.append("refused \(request.requestID): \(Render.escaped(error.message))")
                    decisions.append(.object([("request_id", .string(request.requestID)), ("decision", .string(decision.rawValue)),
                                              ("reason", .optional(reason)), ("error", .string(error.kind.rawValue))]))
                }
            }
            run.emit(json: .object([("decisions", .array(decisions))]),
                     text: summary.isEmpty ? "no decisions" : summary.joined(separator: "\n"))
            return firstFailure
        }

        /// `3m 12s`, `2h 5m`, `1d 4h`, for people.
        static func duration(_ microseconds: Int64) -> String {
            let s = max(0, microseconds / 1_000_000)
            if s < 60 { return "\(s)s" }
            if s < 3600 { return "\(s / 60)m \(s % 60)s" }
            if s < 86_400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
            return "\(s / 86_400)d \(s % 86_400 / 3600)h"
        }
    }
}

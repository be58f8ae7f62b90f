import GovernanceCore

enum Gates {
    static let group = GroupSpec("gates", "Approval gates: signed, single-use, time- and action-bound tokens",
                                 doc: """
                                 An agent asks for approval of one action with request and gets a token bound to the request, \
                                 its expiry and the action (kind, agent, payload); an operator grants or denies with the token, \
                                 once, before the expiry; the agent waits for the decision. A forged, replayed, expired or \
                                 mismatched token, or one whose stored action was edited, exits 19 and changes nothing; the \
                                 operator bound to the agent by its heartbeat cannot grant its requests (exit 22). Requests, \
                                 decisions and refusals are audited with the operator, the OS user and the host. docs/GATES.md \
                                 gives the token format.
                                 """,
                                 commands: [Request.command, Grant.command, Deny.command, Wait.command, List.command, Show.command])

    static let tokenArgument = PositionalSpec("TOKEN", "The token from `gates request`, or - to read it from stdin")
    static let requestArgument = PositionalSpec("REQUEST_ID", "The request's id (a UUID)")
    static let expectRequest: Flag<String> = .text("request", value: "REQUEST_ID", "Refuse the token unless it is for this request",
                                                   doc: "Guards against granting a different request than the one reviewed with `gates show`.")

    /// TOKEN, or one line of stdin for `-` (argv is visible to other local users; stdin is not),
    /// ended by LF, CRLF or nothing.
    static func token(_ args: Arguments, _ run: Run) throws -> String {
        let given = args.positionals[0]
        guard given == "-" else { return given }
        let next = try run.console.stdinChunks()
        var bytes: [UInt8] = []
        while bytes.count <= GateToken.maxLength + 2, let chunk = try next() { bytes += chunk }
        return String(decoding: bytes.prefix(GateToken.maxLength + 2).droppingOneLineEnding, as: UTF8.self)
    }

    static func requestText(_ r: GateRequest) -> String {
        var text = """
        request   \(r.requestID)
        status    \(r.effectiveStatus().rawValue)
        kind      \(Render.escaped(r.kind))
        agent     \(Render.escaped(r.agentID))
        payload   \(Render.escaped(r.payloadJSON))
        created   \(r.createdAt.iso8601)
        expires   \(r.expiresAt.iso8601)
        """
        if let s = r.sessionID { text += "\nsession   \(Render.escaped(s))" }
        if let op = r.agentOperator { text += "\noperator  \(Render.escaped(op)) (bound to the agent; cannot grant)" }
        if let by = r.decidedBy {
            text += "\ndecided   by \(Render.escaped(by)) (user \(Render.escaped(r.decidedOSUser ?? "?")) on \(Render.escaped(r.decidedHost ?? "?")))"
            if let at = r.decidedAt { text += " at \(at.iso8601)" }
        }
        if let reason = r.reason { text += "\nreason    \(Render.escaped(reason))" }
        return text
    }

    /// grant and deny: the same checks, a different outcome.
    static func decide(_ decision: GovernanceCore.Gates.Decision, reason: String?, _ args: Arguments, _ run: Run) throws -> Int32 {
        let request = try GovernanceCore.Gates.decide(try run.store.connection, keys: try run.keys(), token: try token(args, run),
                                                      decision: decision, by: try OperatorIdentity.current(claimed: args[SharedFlags.by]),
                                                      reason: reason, expectedRequestID: args[expectRequest])
        run.emit(json: request.json(),
                 text: "\(decision == .grant ? "granted" : "denied") request \(request.requestID) (\(Render.escaped(request.kind)) for \(Render.escaped(request.agentID)))")
        return 0
    }
}

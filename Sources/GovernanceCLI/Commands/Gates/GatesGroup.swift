import GovernanceCore

enum GatesCommands {
    static let group = GroupSpec("gates", "Approval gates: signed, single-use, time- and action-bound tokens",
                                 doc: """
                                 An agent asks for approval of one action with request and gets a request id and a token \
                                 bound to the request, its expiry and the action (kind, agent, payload, and the one step it \
                                 is for with --tool and a command); a registered operator grants, denies or cancels by the \
                                 request id (or the token), once, before the expiry, signing the decision with its key; the \
                                 agent waits for the decision. An unknown, decided or expired request, or a forged, \
                                 mismatched or tampered token, exits 19 and changes nothing; the agent itself and the \
                                 operator bound to it by its heartbeat cannot grant its requests (exit 22). A decision no \
                                 registered operator signed is not acted on. Requests, decisions and refusals are audited. \
                                 docs/GATES.md gives the token format.
                                 """,
                                 commands: [Request.command, Grant.command, Deny.command, Cancel.command, Review.command, Wait.command, List.command, Show.command])

    static let decisionArgument: Positional<String> = .one("REQUEST", "The request id (a UUID), or the agent's token, or - to read a token from stdin (one line, ended by LF or CRLF)",
                                                                 completion: .request)
    static let requestArgument: Positional<String> = .one("REQUEST_ID", "The request's id (a UUID)", completion: .request)
    static let expectRequest: Flag<String> = .text("request", value: "REQUEST_ID", "Refuse unless the decision is for this request",
                                                   doc: "Guards against granting a different request than the one reviewed with `gates show`.",
                                                   completion: .request)

    /// TOKEN, or one line of stdin for `-` (argv is visible to other local users; stdin is not),
    /// ended by LF, CRLF or nothing.
    static func token(_ args: Arguments, _ run: Run) throws -> String {
        let given = try args.require(decisionArgument)
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
        if let step = Gates.boundStep(r.payloadJSON) {
            // What a grant lets run: the command itself, one argument per JSON string.
            text += "\nstep      tool \(Render.escaped(step.tool)) runs \(Render.escaped(JSONWriter.canonical(.array(step.argv.map(JSONValue.string)))))"
        }
        if let s = r.sessionID { text += "\nsession   \(Render.escaped(s))" }
        if let op = r.agentOperator { text += "\noperator  \(Render.escaped(op)) (bound to the agent; cannot grant)" }
        if let by = r.decidedBy {
            text += "\ndecided   by \(Render.escaped(by)) (user \(Render.escaped(r.decidedOSUser ?? "?")) on \(Render.escaped(r.decidedHost ?? "?")))"
            if let at = r.decidedAt { text += " at \(at.iso8601)" }
        }
        if let reason = r.reason { text += "\nreason    \(Render.escaped(reason))" }
        return text
    }

    /// grant, deny and cancel: the same checks, a different outcome. REQUEST is a request id, or a
    /// token (which is checked too).
    static func decide(_ decision: Gates.Decision, reason: String?, _ args: Arguments, _ run: Run) throws -> Int32 {
        let signer = try SharedFlags.operatorCredential(args, run)
        let db = try run.store.connection
        let given = try args.require(decisionArgument)
        let request: GateRequest
        if given != "-", SessionID(given) != nil {
            if let expected = try args[expectRequest], expected.lowercased() != given.lowercased() {
                throw GovernanceError.usage("--request \(Render.quoted(expected)) names another request than \(Render.quoted(given))")
            }
            request = try Gates.decide(db, keys: try run.keys(), requestID: given, decision: decision, by: signer.credential,
                                                      identity: signer.identity, reason: reason)
        } else {
            request = try Gates.decide(db, keys: try run.keys(), token: try token(args, run), decision: decision,
                                                      by: signer.credential, identity: signer.identity, reason: reason,
                                                      expectedRequestID: try args[expectRequest])
        }
        let verb = decision == .grant ? "granted" : (decision == .deny ? "denied" : "cancelled")
        run.emit(json: request.json(), text: "\(verb) request \(request.requestID) (\(Render.escaped(request.kind)) for \(Render.escaped(request.agentID)))")
        return 0
    }
}

import GovernanceCore

extension Gates {
    enum Request {
        static let kind: Flag<String> = .text("kind", short: "k", value: "KIND", "What is to be approved, e.g. payment.send (1-256 bytes)",
                                              requirement: .required)
        static let agent: Flag<String> = .text("agent", short: "a", value: "ID", "The agent asking (1-256 bytes)",
                                               completion: .agent, environment: "GOVERNANCE_AGENT_ID", requirement: .required)
        static let session: Flag<SessionID> = .uuid("session", short: "s", "The session to audit the request in (default: the agent's own chain)",
                                                    environment: "GOVERNANCE_SESSION_ID")
        static let payload: Flag<JSONValue> = .jsonObject("payload", "The action's details: a JSON object, @FILE or -; at most 64 KiB encoded")
        static let ttl: Flag<Int64> = .integer("ttl", value: "SECONDS", "How long the token is valid (default 3600, at most 604800)",
                                               range: 1...GovernanceCore.Gates.maxTTL)

        static let command = CommandSpec.enforcing(
            "request", "Ask for approval of one action; print the request id, token and expiry",
            doc: """
            Goes through the enforcement path (store, kill switch: a killed agent is refused with exit 15), \
            then stores a pending request and prints its id, a token and the expiry (--json: request_id, \
            token, expires_at). The token is signed with the gate key and binds the request id, the expiry and \
            the SHA-256 of the RFC 8785 form of the action {kind, agent, payload}; the store keeps only the \
            token's SHA-256, so pass the token to the approving operator yourself. Audited (gate.requested). \
            --fail-open does not apply: no approval can be asked for without the store.
            """,
            flags: [kind, agent, session, payload, ttl],
            examples: ["governance gates request --kind payment.send --agent billing-agent --payload '{\"amount\":\"120.00\"}' --json"],
            failures: [.invalidInput],
            decide: { args, run, enforcer, _ in
                let keys = try run.keys(creating: true)
                let agentID = try args.require(agent)
                return try enforcer.enforce(EnforcementRequest(agentID: agentID, sessionID: args[session], action: "gates.request",
                                                               metadata: [("kind", .string(try args.require(kind)))])) { context in
                    try GovernanceCore.Gates.request(context.db, keys: keys, kind: try args.require(kind), agentID: agentID,
                                                     sessionID: args[session], payload: args[payload] ?? .object([]),
                                                     ttl: args[ttl] ?? GovernanceCore.Gates.defaultTTL)
                }
            },
            render: { issued, _, run in
                run.emit(json: .object([("request_id", .string(issued.request.requestID)), ("token", .string(issued.token)),
                                        ("expires_at", .string(issued.request.expiresAt.iso8601))]),
                         text: "request_id \(issued.request.requestID)\ntoken \(issued.token)\nexpires_at \(issued.request.expiresAt.iso8601)")
                return 0
            })
    }
}

import GovernanceCore

extension GatesCommands {
    enum Request {
        static let kind: Flag<String> = .text("kind", short: "k", value: "KIND", "What is to be approved, e.g. payment.send (1-256 bytes)",
                                              requirement: .required)
        static let agent: Flag<String> = .text("agent", short: "a", value: "ID", "The agent asking (1-256 bytes)",
                                               completion: .agent, environment: "GOVERNANCE_AGENT_ID", requirement: .required)
        static let session: Flag<SessionID> = .uuid("session", short: "s", "The session to audit the request in (default: the agent's own chain)",
                                                    environment: "GOVERNANCE_SESSION_ID")
        static let payload: Flag<JSONValue> = .jsonObject("payload", "The action's details: a JSON object, @FILE or -; at most 64 KiB encoded")
        static let stepTool: Flag<String> = .text("tool", short: "t", value: "TOOL",
                                                  "With a command after --: approve exactly that step (exec --tool TOOL -- COMMAND...)",
                                                  conflicts: ["action-digest"])
        static let actionDigest: Flag<String> = .text("action-digest", value: "SHA256",
                                                      "Approve only the action with this digest (contract check-pre --action-digest)")
        static let ttl: Flag<Int64> = .integer("ttl", value: "SECONDS", "How long the token is valid (default 3600, at most 604800)",
                                               range: 1...Gates.maxTTL)

        static let command = CommandSpec.enforcing(
            "request", "Ask for approval of one action; print the request id, token and expiry",
            doc: """
            Goes through the enforcement path (store, kill switch: a killed agent is refused with exit 15), \
            then stores a pending request and prints its id, a token and the expiry (--json: request_id, \
            token, expires_at). The token is signed with the gate key and binds the request id, the expiry and \
            the SHA-256 of the RFC 8785 form of the action {kind, agent, payload}; the store keeps only the \
            token's SHA-256. With --tool and a command after --, the request is for that one step: a contract's \
            hitl_approved in `exec --tool TOOL -- COMMAND...` uses it only when the tool and every argument are \
            the same (--action-digest binds a digest of your own instead); an approval without either is used \
            only where no step is named (`contract check-pre` without --action-digest). Audited (gate.requested). \
            --fail-open does not apply: no approval can be asked for without the store.
            """,
            flags: [kind, agent, session, payload, stepTool, actionDigest, ttl],
            positionals: [PositionalSpec("COMMAND", "With --tool: the step's command and arguments, after --", optional: true, variadic: true)],
            examples: ["governance gates request --kind payment.send --agent billing-agent --payload '{\"amount\":\"120.00\"}' --json",
                       "governance gates request --kind charge.customer --agent billing-agent --tool charge -- ./charge.sh 118 1.00"],
            failures: [.invalidInput],
            decide: { args, _, enforcer, _ in
                var digest = args[actionDigest]
                if let tool = args[stepTool] {
                    guard !args.positionals.isEmpty else {
                        throw GovernanceError.usage("--tool needs the step's command after --", hint: "governance gates request --kind K --tool T -- COMMAND [ARGS...]")
                    }
                    digest = Gates.stepDigest(tool: tool, argv: args.positionals)
                } else if let extra = args.positionals.first {
                    throw GovernanceError.usage("unexpected argument \(Render.quoted(extra))", hint: "a command is given only with --tool")
                }
                return try enforcer.requestApproval(agentID: try args.require(agent), sessionID: args[session], kind: try args.require(kind),
                                                    payload: args[payload] ?? .object([]), ttl: args[ttl] ?? Gates.defaultTTL,
                                                    stepDigest: digest)
            },
            render: { issued, _, run in
                run.emit(json: .object([("request_id", .string(issued.request.requestID)), ("token", .string(issued.token)),
                                        ("expires_at", .string(issued.request.expiresAt.iso8601)),
                                        ("step_digest", .optional(issued.request.stepDigest))]),
                         text: "request_id \(issued.request.requestID)\ntoken \(issued.token)\nexpires_at \(issued.request.expiresAt.iso8601)")
                return 0
            })
    }
}

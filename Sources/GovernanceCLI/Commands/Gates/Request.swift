import GovernanceCore

extension GatesCommands {
    enum Request {
        static let payload: Flag<JSONValue> = .jsonObject("payload", "The action's details: a JSON object, @FILE or -; at most 64 KiB encoded")
        static let actionDigest: Flag<String> = .text("action-digest", value: "SHA256",
                                                      "Approve only the action with this digest (contract check-pre --action-digest)")
        static let step: Positional<[String]> = .rest("COMMAND", "With --tool: the step's command and arguments, after --", optional: true)
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
            flags: [SharedFlags.kind.required.described("What is to be approved, e.g. payment.send (1-256 bytes)"),
                    SharedFlags.agent.required.described("The agent asking (1-256 bytes)").completing(.agent),
                    SharedFlags.session.described("The session to audit the request in (default: the agent's own chain)"),
                    payload, SharedFlags.tool.described("With a command after --: approve exactly that step (exec --tool TOOL -- COMMAND...)")
                        .conflicts(with: actionDigest),
                    actionDigest, ttl],
            positionals: [step],
            examples: ["governance gates request --kind payment.send --agent billing-agent --payload '{\"amount\":\"120.00\"}' --json",
                       "governance gates request --kind charge.customer --agent billing-agent --tool charge -- ./charge.sh 118 1.00"],
            failures: [.invalidInput],
            decide: { args, _, enforcer in
                var bound: (tool: String, argv: [String])?
                if let tool = try args[SharedFlags.tool] {
                    guard try !args[step].isEmpty else {
                        throw GovernanceError.usage("--tool needs the step's command after --", hint: "governance gates request --kind K --tool T -- COMMAND [ARGS...]")
                    }
                    bound = (tool, try args[step])
                } else if let extra = try args[step].first {
                    throw GovernanceError.usage("unexpected argument \(Render.quoted(extra))", hint: "a command is given only with --tool")
                }
                return try enforcer.requestApproval(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session],
                                                    kind: try args.require(SharedFlags.kind),
                                                    payload: try args[payload] ?? .object([]), ttl: try args[ttl] ?? Gates.defaultTTL,
                                                    stepDigest: try args[actionDigest], step: bound)
            },
            render: { issued, _, run in
                let r = issued.request
                Notifications.send([.requested(r)], run)
                run.emit(json: .object([("request_id", .string(issued.request.requestID)), ("token", .string(issued.token)),
                                        ("expires_at", .string(issued.request.expiresAt.iso8601)),
                                        ("step_digest", .optional(issued.request.stepDigest))]),
                         text: "request_id \(issued.request.requestID)\ntoken \(issued.token)\nexpires_at \(issued.request.expiresAt.iso8601)")
                return 0
            })
    }
}

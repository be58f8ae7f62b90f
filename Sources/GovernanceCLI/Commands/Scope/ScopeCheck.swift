import GovernanceCore

extension Scope {
    enum Check {
        static let api: Flag<String> = .text("api", value: "\"METHOD URL\"", "The API call, e.g. \"GET https://api.stripe.com/v1/charges\"")

        static let command = CommandSpec.enforcing(
            "check", "Exit 0 when the agent may call the tool or API, 10 when not, 11 without a policy",
            doc: """
            Goes through the enforcement path: the store (exit 4 when unreachable, unless --fail-open), the \
            agent's kill switch (exit 15), then the policy. A tool must be listed in allowed_tools exactly. An \
            API call matches an allowed_apis pattern when the method is the same (any case), scheme, host and \
            port are the same, each `*` matches one path segment and a trailing `/*` any rest; the query string \
            is ignored; user information, dot segments and encoded slashes are refused. The denial names the \
            allowed tools and is audited as scope.violation (or policy.missing).
            """,
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain,
                    SharedFlags.tool.described("The tool to call (matched exactly)").requiredUnless(api).conflicts(with: api), api],
            examples: ["governance scope check --agent billing-agent --tool send_email",
                       "governance scope check -a billing-agent --api \"POST https://api.stripe.com/v1/refunds\""],
            failures: [.scopeViolation, .noPolicy, .invalidInput],
            decide: { args, _, enforcer in
                let request: ScopeCheck.Request = if let api = try args[api] { .api(api) } else { .tool(try args.require(SharedFlags.tool)) }
                return try enforcer.scopeCheck(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session],
                                               request)
            },
            render: { decision, _, run in
                run.emit(json: decision.json, text: "allowed: \(Render.escaped(decision.matched))")
                return 0
            })
    }
}

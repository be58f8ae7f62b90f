import GovernanceCore

enum Scope {
    static let group = GroupSpec("scope", "Check tools and API calls against an agent's policy (default deny)",
                                 doc: "An agent may call a tool or an API only when its policy allows it; with no policy it may do nothing (exit 11). Denials are audited in the session's chain (or the agent's own). docs/POLICIES.md gives the matching rules.",
                                 commands: [Check.command, FilterTools.command])

    enum Check {
        static let tool: Flag<String> = .text("tool", short: "t", value: "TOOL", "The tool to call (matched exactly)",
                                              requirement: .requiredUnless(["api"]), conflicts: ["api"])
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
            flags: [SharedFlags.agent, SharedFlags.optionalSession, tool, api],
            examples: ["governance scope check --agent billing-agent --tool send_email",
                       "governance scope check -a billing-agent --api \"POST https://api.stripe.com/v1/refunds\""],
            failures: [.scopeViolation, .noPolicy, .invalidInput],
            decide: { args, _, enforcer, failOpen in
                let request: ScopeCheck.Request = if let api = args[api] { .api(api) } else { .tool(try args.require(tool)) }
                return try enforcer.scopeCheck(agentID: try args.require(SharedFlags.agent), sessionID: args[SharedFlags.optionalSession],
                                               request, failOpen: failOpen)
            },
            render: { decision, _, run in
                run.emit(json: decision.json, text: "allowed: \(Render.escaped(decision.matched))")
                return 0
            })
    }

    enum FilterTools {
        static let command = CommandSpec(
            "filter-tools", "Remove the agent's hidden tools from a list of tools",
            doc: """
            Prints the tools given (as arguments, or one per line on stdin) less the agent's hidden_tools, in \
            order; with --json as a JSON array. An observation: with no policy the list comes back unchanged, \
            and when the store cannot be read the list comes back unchanged with a warning (hiding tools is a \
            courtesy to the model; `scope check` is what enforces).
            """,
            flags: [SharedFlags.agent],
            positionals: [PositionalSpec("TOOL", "Tool names; without any, one per line on stdin", optional: true, variadic: true)],
            examples: ["governance scope filter-tools --agent billing-agent read_invoice delete_all send_email",
                       "printf 'a\\nb\\n' | governance scope filter-tools -a billing-agent --json"],
            role: .observe,
            needs: CommandNeeds(store: .readIfAvailable)
        ) { args, run in
            var tools = args.positionals
            if tools.isEmpty {
                var reader = LineReader(maxLineBytes: 4096, try run.console.stdinChunks())
                while let line = try reader.nextLine() {
                    guard case .line(let bytes) = line else { throw GovernanceError.invalid("line \(reader.lineNumber) of stdin is too long for a tool name") }
                    let name = String(String(decoding: bytes, as: UTF8.self).trimmingSpaces)
                    if !name.isEmpty { tools.append(name) }
                }
            }
            let agent = try args.require(SharedFlags.agent)
            var kept = tools
            if let store = run.availableStore {
                kept = ScopeCheck.filterTools(tools, policy: try PolicyStore(db: store.connection).policy(for: agent))
            } else if let reason = run.storeUnavailable {
                run.warn("the store is unavailable (\(reason.message)); the tools are returned unfiltered")
            }
            run.emit(json: .array(kept.map(JSONValue.string)), text: kept.map(Render.escaped).joined(separator: "\n"))
            return 0
        }
    }
}


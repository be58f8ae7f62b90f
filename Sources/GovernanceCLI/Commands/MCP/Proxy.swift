import Glibc
import GovernanceCore

extension MCP {
    /// `governance mcp proxy --agent A -- SERVER...`: flags only; the session is the core's
    /// (`Enforcer.proxyMCP`).
    enum Proxy {
        static let server: Positional<[String]> = .rest("SERVER", "The MCP server's command and its arguments, after --")
        static let approvalTimeout: Flag<Int64> = .integer("approval-timeout", value: "SECONDS",
                                                           "How long a call that needs approval is held for an operator's decision (default 300)",
                                                           range: 1...86_400)

        static let command = CommandSpec(
            "proxy", "Run an MCP server (stdio) behind governance: every tools/call checked and audited",
            doc: """
            Speaks MCP (JSON-RPC 2.0, one message per line, protocol 2025-11-25) on stdin and stdout to the \
            agent's client, and runs SERVER as its child, contained as `exec` contains a step (its own process \
            group, SIGKILL if the proxy dies, a cgroup where one can be made). Every tools/call goes through the \
            enforcement path first: the kill switch, scope for the tool's name, the budget, the loop record and \
            the tool's contract pre-conditions. A tool the budget prices (tool_prices) has its price checked \
            against the USD caps and reserved, and charged (cost.tracked, naming the tool, with tool.call) when \
            the call is passed on to the server. A refused call never reaches the server: the client gets a tool \
            result with isError true whose text names the reason and the exit code the same refusal has on the \
            command line. An allowed call is audited as tool.call (the tool, the SHA-256 of its canonical \
            arguments, the request id) and tool.result (the result's SHA-256, isError, the duration, and how it \
            ended: result, error, cancelled, killed or server_crash) in the session's chain; its contract's \
            post-conditions are checked before the result is passed on. A call whose contract needs an approval \
            (hitl_approved) is held: the proxy asks for it (gates request, bound to the tool and its arguments), \
            sends progress notifications every second when the client gave a progressToken, and passes the call \
            on once an operator grants it; a denial (16), --approval-timeout (17) or a kill refuses it. A tools/list result keeps only the tools \
            the policy allows and does not hide. Everything else passes through unchanged and in order, both \
            ways. A message over 4 MiB, malformed JSON or an invalid JSON-RPC message is refused, said on stderr, \
            audited (mcp.message_rejected) and, when its id can be read, answered with the JSON-RPC error \
            (-32600, -32602; MCP has no null id to answer the others with). The \
            kill marker is read every 250 ms: a kill cancels the calls in flight (notifications/cancelled to the \
            server, a refusal to the client), stops the server (SIGTERM, SIGKILL after --kill-grace) and refuses \
            every later request until the client leaves; the proxy then exits 15. SIGINT, SIGTERM, SIGHUP and \
            SIGQUIT are forwarded to the server. Exit status: the server's when the client closed the session (0 \
            when it had to be stopped after lingering), 15 after a kill, the server's (1 for 0) when it ended \
            while the client was connected, 125-127 when it could not be started.
            """,
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain,
                    Exec.killGrace.described("Seconds between SIGTERM and SIGKILL when the server is stopped, and how long it may take to exit after the client leaves (default 10)"),
                    approvalTimeout],
            positionals: [server],
            examples: ["governance mcp proxy --agent billing-agent -- npx -y @modelcontextprotocol/server-filesystem /srv/invoices",
                       "governance mcp proxy -a billing-agent -s \"$GOVERNANCE_SESSION_ID\" --kill-grace 5 -- python3 server.py"],
            role: .enforce,
            needs: .record
            // A refusal is answered inside the session (10-14 never end the proxy); a kill ends it with 15.
        ) { args, run in
            let argv = try args[server]
            guard !argv.isEmpty else { throw GovernanceError.usage("give the server's command after --: governance mcp proxy --agent A -- SERVER [ARGS...]") }
            // A client that goes away must not kill the proxy before it has stopped the server.
            signal(SIGPIPE, SIG_IGN)
            let request = MCPProxyRequest(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session], argv: argv,
                                          killGraceSeconds: Double(try args[Exec.killGrace] ?? 10), failOpen: args.failOpen,
                                          approvalTimeoutSeconds: Double(try args[approvalTimeout] ?? 300))
            let outcome = try run.enforcer(failOpen: args.failOpen).proxyMCP(request, recorder: try run.recorder) { run.warn($0) }
            if let error = outcome.error { run.console.errorLine("governance: error: " + Render.escaped(error)) }
            return outcome.exitStatus
        }.runningACommand()
    }
}

import GovernanceCore

extension MCP {
    /// `governance mcp wrap --config FILE --agent A [--dry-run]`: flags only; the rewrite is the
    /// core's (`MCPConfigWrap`).
    enum Wrap {
        static let config: Flag<String> = .path("config", value: "FILE", "The MCP client configuration to rewrite (JSON with mcpServers or servers)")
        static let dryRun: Flag<Bool> = .toggle("dry-run", "Show the diff and write nothing")
        static let governance: Flag<String> = .path("governance", value: "PATH",
                                                    "The governance command the client will start (default: this program's absolute path)")

        static let command = CommandSpec(
            "wrap", "Rewrite an MCP client configuration so every server runs through mcp proxy",
            doc: """
            Reads FILE (strict JSON, at most 1 MiB: Claude Desktop's and Cursor's mcpServers, VS Code's \
            servers) and replaces each stdio server's command with `governance mcp proxy --agent A -- COMMAND \
            ARGS...`, keeping every other member (env, cwd, type) as it was. A server that already runs through \
            the proxy is left alone, so running wrap twice changes nothing; a server given by URL is reported and \
            left alone (the proxy speaks stdio). The original is kept as FILE.bak (FILE.bak.N when that exists) \
            with the file's permissions, and the new file replaces FILE in one rename. --dry-run prints the diff \
            and writes nothing.
            """,
            flags: [config.required, SharedFlags.agent.required, dryRun, governance],
            examples: ["governance mcp wrap --config ~/.config/Claude/claude_desktop_config.json --agent billing-agent --dry-run",
                       "governance mcp wrap --config .vscode/mcp.json --agent billing-agent"]
        ) { args, run in
            let path = try args.require(config)
            let bytes = try FileSystem.readRegularFile(path, limit: MCPConfigWrap.maxBytes, what: "MCP configuration").bytes
            guard let program = try args[governance] ?? MCPConfigWrap.thisExecutable() else {
                throw GovernanceError.usage("cannot tell this program's path; give it with --governance PATH")
            }
            let plan = try MCPConfigWrap.plan(bytes, agentID: try args.require(SharedFlags.agent), governance: program)
            let diff = plan.changed ? MCPConfigWrap.diff(plan.original, plan.rewritten) : []
            let dry = try args.has(dryRun)
            var backup: String?
            if !dry && plan.changed { backup = try MCPConfigWrap.write(plan, to: path) }
            var text = plan.servers.map { "\($0.status.rawValue.replacingUnderscores)  \(Render.escaped($0.name))" }
            if dry {
                text = diff.map(Render.escaped) + text + ["dry run: nothing written"]
            } else if let backup {
                text.append("wrote \(Render.escaped(path)); the original is kept at \(Render.escaped(backup))")
            } else {
                text.append("nothing to change")
            }
            run.emit(json: .object([("config", .string(path)), ("dry_run", .bool(dry)), ("changed", .bool(plan.changed)),
                                    ("backup", .optional(backup)),
                                    ("servers", .array(plan.servers.map { .object([("name", .string($0.name)), ("status", .string($0.status.rawValue))]) })),
                                    ("diff", .array(diff.map(JSONValue.string)))]),
                     text: text.joined(separator: "\n"))
            return 0
        }
    }
}

private extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}

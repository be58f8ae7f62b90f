import GovernanceCore

extension Scope {
    enum FilterTools {
        static let tools: Positional<[String]> = .rest("TOOL", "Tool names; without any, one per line on stdin", optional: true)

        static let command = CommandSpec(
            "filter-tools", "Remove the agent's hidden tools from a list of tools",
            doc: """
            Prints the tools given (as arguments, or one per line on stdin) less the agent's hidden_tools, in \
            order; with --json as a JSON array. An observation: with no policy the list comes back unchanged, \
            and when the store cannot be read the list comes back unchanged with a warning (hiding tools is a \
            courtesy to the model; `scope check` is what enforces).
            """,
            flags: [SharedFlags.agent.required],
            positionals: [tools],
            examples: ["governance scope filter-tools --agent billing-agent read_invoice delete_all send_email",
                       "printf 'a\\nb\\n' | governance scope filter-tools -a billing-agent --json"],
            role: .observe,
            needs: CommandNeeds(store: .readIfAvailable)
        ) { args, run in
            var tools = try args[FilterTools.tools]
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

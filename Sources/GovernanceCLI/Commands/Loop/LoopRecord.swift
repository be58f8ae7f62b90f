import GovernanceCore

extension Loop {
    enum Record {
        static let command = CommandSpec.enforcing(
            "record", "Count a tool call; exit 13 when it makes a loop (action raise)",
            doc: """
            Goes through the enforcement path (store, kill switch), records the call and counts the calls of the \
            same tool in the window. No loop policy: the call is recorded and passes. A loop under action log \
            exits 0 with a warning on stderr.
            """,
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain, SharedFlags.tool.required],
            examples: ["governance loop record --agent billing-agent --tool search"],
            failures: [.loopDetected, .invalidInput],
            decide: { args, _, enforcer in
                try enforcer.loopRecord(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session],
                                        tool: try args.require(SharedFlags.tool))
            },
            render: { observation, _, run in
                let limit = observation.policy.map { " of \($0.maxCalls) in \($0.windowSeconds) s" } ?? " (no loop policy)"
                run.emit(json: observation.json,
                         text: "\(observation.detected ? "loop (logged)" : "recorded"): \(Render.escaped(observation.tool)) \(Render.count(Int(clamping: observation.count), "call"))\(limit)")
                return 0
            })
    }
}

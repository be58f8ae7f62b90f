import GovernanceCore

extension Loop {
    enum Check {
        static let command = CommandSpec(
            "check", "Report whether the session is in a detected loop now",
            doc: "Lists the tools whose calls in the current window exceed max_calls. An observation: exits 0 either way; `loop record` is what stops an agent.",
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain],
            examples: ["governance loop check --agent billing-agent --json"],
            needs: .read
        ) { args, run in
            let agent = try args.require(SharedFlags.agent)
            let db = try run.store.connection
            let policy = try PolicyStore(db: db).policy(for: agent)?.loop
            let loops = try LoopDetector(db: db).check(agentID: agent, sessionID: AgentChain.resolve(try args[SharedFlags.session], agentID: agent),
                                                       policy: policy)
            run.emit(json: .object([("in_loop", .bool(!loops.isEmpty)), ("loops", .array(loops.map(\.json)))]),
                     text: loops.isEmpty ? "no loop" : loops.map { "loop: \(Render.escaped($0.tool)) \(Render.count(Int(clamping: $0.count), "call")) in the window" }.joined(separator: "\n"))
            return 0
        }
    }
}

import GovernanceCore

extension Loop {
    enum Check {
        static let command = CommandSpec(
            "check", "Exit 13 when the session is in a loop now, 0 when it is not (as grep -q answers)",
            doc: """
            Lists the tools whose calls in the current window exceed max_calls, and answers in its exit status: 0 \
            no loop, 13 in a loop (the reference SDK's loop.check returns true), so `governance -q loop check -a A \
            || back_off` needs no JSON. It records nothing and audits nothing: `loop record` is what counts a call \
            and stops an agent. The store unreachable is exit 4, never "no loop": a script that proceeds only on 0 \
            fails closed.
            """,
            flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain],
            examples: ["governance -q loop check --agent billing-agent || echo 'in a loop: back off'", "governance loop check --agent billing-agent --json"],
            needs: .read,
            failures: [.loopDetected]
        ) { args, run in
            let agent = try args.require(SharedFlags.agent)
            let db = try run.store.connection
            let policy = try PolicyStore(db: db).policy(for: agent)?.loop
            let loops = try LoopDetector(db: db).check(agentID: agent, sessionID: AgentChain.resolve(try args[SharedFlags.session], agentID: agent),
                                                       policy: policy)
            run.emit(json: .object([("in_loop", .bool(!loops.isEmpty)), ("loops", .array(loops.map(\.json)))]),
                     text: loops.isEmpty ? "no loop" : loops.map { "loop: \(Render.escaped($0.tool)) \(Render.count(Int(clamping: $0.count), "call")) in the window" }.joined(separator: "\n"))
            // The answer, not a failure: stdout already has it; stderr stays quiet.
            return loops.isEmpty ? 0 : GovernanceError.Kind.loopDetected.exitCode
        }
    }
}

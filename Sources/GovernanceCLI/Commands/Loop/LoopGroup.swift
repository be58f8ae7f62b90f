import GovernanceCore

enum Loop {
    static let group = GroupSpec("loop", "Detect an agent calling the same tool over and over",
                                 doc: "Calls are counted per agent, session and tool (case-insensitive) in a sliding window (window_seconds, max_calls in the agent's policy). The call that makes the count pass max_calls is a loop: with action raise it is denied (exit 13), with log it is allowed with a warning; loop.detected is audited either way.",
                                 commands: [Record.command, Check.command])

    static let tool: Flag<String> = .text("tool", short: "t", value: "TOOL", "The tool being called", requirement: .required)

    enum Record {
        static let command = CommandSpec.enforcing(
            "record", "Count a tool call; exit 13 when it makes a loop (action raise)",
            doc: """
            Goes through the enforcement path (store, kill switch), records the call and counts the calls of the \
            same tool in the window. No loop policy: the call is recorded and passes. A loop under action log \
            exits 0 with a warning on stderr.
            """,
            flags: [SharedFlags.agent, SharedFlags.optionalSession, Loop.tool],
            examples: ["governance loop record --agent billing-agent --tool search"],
            failures: [.loopDetected, .invalidInput],
            decide: { args, _, enforcer, failOpen in
                try enforcer.loopRecord(agentID: try args.require(SharedFlags.agent), sessionID: args[SharedFlags.optionalSession],
                                        tool: try args.require(Loop.tool), failOpen: failOpen)
            },
            render: { observation, _, run in
                let limit = observation.policy.map { " of \($0.maxCalls) in \($0.windowSeconds) s" } ?? " (no loop policy)"
                run.emit(json: observation.json,
                         text: "\(observation.detected ? "loop (logged)" : "recorded"): \(Render.escaped(observation.tool)) \(Render.count(Int(clamping: observation.count), "call"))\(limit)")
                return 0
            })
    }

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
            flags: [SharedFlags.agent, SharedFlags.optionalSession],
            examples: ["governance -q loop check --agent billing-agent || echo 'in a loop: back off'", "governance loop check --agent billing-agent --json"],
            needs: .read,
            failures: [.loopDetected]
        ) { args, run in
            let agent = try args.require(SharedFlags.agent)
            let db = try run.store.connection
            let policy = try PolicyStore(db: db).policy(for: agent)?.loop
            let loops = try LoopDetector(db: db).check(agentID: agent, sessionID: AgentChain.resolve(args[SharedFlags.optionalSession], agentID: agent),
                                                       policy: policy)
            run.emit(json: .object([("in_loop", .bool(!loops.isEmpty)), ("loops", .array(loops.map(\.json)))]),
                     text: loops.isEmpty ? "no loop" : loops.map { "loop: \(Render.escaped($0.tool)) \(Render.count(Int(clamping: $0.count), "call")) in the window" }.joined(separator: "\n"))
            guard loops.isEmpty else {
                // The answer, not a failure: stdout already has it; stderr stays quiet.
                return GovernanceError.Kind.loopDetected.exitCode
            }
            return 0
        }
    }
}

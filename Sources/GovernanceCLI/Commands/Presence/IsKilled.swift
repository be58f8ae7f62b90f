import GovernanceCore

extension PresenceCommands {
    enum IsKilled {
        static let command = CommandSpec(
            "is-killed", "Say whether an agent is killed, exiting 0 either way (an observation)",
            doc: """
            Prints `killed` or `not killed` (--json: {"agent_id", "killed", "kill"} with who, when and why), and \
            exits 0 in both cases: the reference SDK's is_killed for a script that only wants to know. To stop \
            a killed agent use `presence status` (exit 15) or any enforcement command. A kill marker no \
            registered operator signed is not a kill. The store unreachable is exit 4.
            """,
            positionals: [PresenceCommands.agentArgument],
            examples: ["governance --json presence is-killed billing-agent | jq .killed"],
            needs: .read
        ) { args, run in
            let id = try args.require(PresenceCommands.agentArgument)
            let marker = try KillMarkers.read(try run.store.connection, agentID: id).marker
            run.emit(json: .object([("agent_id", .string(id)), ("killed", .bool(marker != nil)), ("kill", marker?.json ?? .null)]),
                     text: marker.map { "killed by \(Render.escaped($0.killedBy)) at \($0.killedAt.iso8601): \(Render.escaped($0.reason))" } ?? "not killed")
            return 0
        }
    }
}

import GovernanceCore

extension PresenceCommands {
    enum Kill {
        static let reason: Flag<String> = .text("reason", short: "r", value: "TEXT", "Why (shown to every refused call; 1-1024 bytes)")

        static let command = CommandSpec(
            "kill", "Halt an agent: every enforcement command refuses it (exit 15)",
            doc: """
            Writes the agent's kill marker (operator, OS user, host, time, reason), replacing an earlier one. From \
            the next enforcement call on (scope check, cost check, loop record, gates request, gates wait, exec), \
            in any process on any host sharing the store, the agent gets exit 15 with who, when and why: nothing \
            caches the marker. The agent need not have sent a heartbeat. The marker is signed with --operator-key; \
            the enforcement path ignores (and audits) a marker no registered operator signed. Audited (presence.kill) \
            in the agent's chain. An agent the store has never seen and that has no policy is refused (exit 2, with \
            the known agents) unless --force: a typo would otherwise kill nothing and exit 0.
            """,
            flags: [reason.required, SharedFlags.operatorKey.required, PresenceCommands.force],
            positionals: [PresenceCommands.agentArgument],
            examples: ["governance presence kill billing-agent --reason 'runaway spend'"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let agent = try args.require(PresenceCommands.agentArgument)
            try PresenceCommands.requireKnown(agent, args, try run.store.connection)
            let signer = try SharedFlags.operatorCredential(args, run)
            let marker = try OperatorKill.kill(try run.store.connection, keys: try run.keys(), agentID: agent,
                                               reason: try args.require(reason), by: signer.credential, identity: signer.identity)
            Notifications.send([.killed(marker)], db: try run.store.connection, run)
            run.emit(json: marker.json,
                     text: "killed \(Render.escaped(marker.agentID)) (by \(Render.escaped(marker.killedBy)), user \(Render.escaped(marker.osUser)) on \(Render.escaped(marker.host)) at \(marker.killedAt.iso8601))")
            return 0
        }
    }
}

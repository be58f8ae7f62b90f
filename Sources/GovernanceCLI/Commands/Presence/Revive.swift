import GovernanceCore

extension PresenceCommands {
    enum Revive {
        static let command = CommandSpec(
            "revive", "Clear an agent's kill marker",
            doc: "Removes the kill marker, so enforcement commands judge the agent on their own checks again. Signed with --operator-key. Audited (presence.revive) in the agent's chain. Reviving an agent that is not killed changes nothing, writes nothing and exits 0; an agent the store has never seen (no presence, kill, policy or event) is refused with exit 2 unless --force.",
            flags: [SharedFlags.operatorKey.required, PresenceCommands.force],
            positionals: [PresenceCommands.agentArgument],
            examples: ["governance presence revive billing-agent --operator-key ~/.config/governance/operator.pem"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let agent = try args.require(PresenceCommands.agentArgument)
            try PresenceCommands.requireKnown(agent, args, try run.store.connection)
            let signer = try SharedFlags.operatorCredential(args, run)
            let removed = try OperatorKill.revive(try run.store.connection, keys: try run.keys(), agentID: agent,
                                                  by: signer.credential, identity: signer.identity)
            run.emit(json: .object([("agent_id", .string(agent)), ("revived", .bool(removed != nil)), ("kill", removed?.json ?? .null)]),
                     text: removed == nil ? "\(Render.escaped(agent)) was not killed; nothing changed" : "revived \(Render.escaped(agent))")
            return 0
        }
    }
}

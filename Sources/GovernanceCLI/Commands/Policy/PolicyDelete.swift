import GovernanceCore

extension Policy {
    enum Delete {
        static let command = CommandSpec(
            "delete", "Remove one agent's policy (the agent is then denied everything)",
            doc: "Removes the policy and audits policy.deleted, signed with --operator-key, in the agent's own chain. Exits 11 when the agent has none.",
            flags: [SharedFlags.operatorKey.required],
            positionals: [Policy.agentArgument],
            examples: ["governance policy delete billing-agent"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.noPolicy]
        ) { args, run in
            let agent = try args.require(Policy.agentArgument)
            let signer = try SharedFlags.operatorCredential(args, run)
            guard try PolicyStore(db: try run.store.connection).delete(agent, keys: try run.keys(), by: signer.credential,
                                                                       identity: signer.identity) else {
                throw GovernanceError(.noPolicy, "agent \(Render.quoted(agent)) has no policy; nothing was deleted",
                                      hint: "list the agents with `governance policy list`")
            }
            run.emit(json: .object([("deleted", .string(agent))]), text: "deleted the policy of \(Render.escaped(agent))")
            return 0
        }
    }
}

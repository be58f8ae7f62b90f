import GovernanceCore

extension Policy {
    enum Show {
        static let command = CommandSpec(
            "show", "Show one agent's policy",
            doc: "Prints the agent's stored policy as YAML (as `policy export` writes it), or with --json as its canonical JSON. Exits 11 when the agent has none.",
            positionals: [Policy.agentArgument],
            examples: ["governance policy show billing-agent"],
            needs: .read,
            failures: [.noPolicy]
        ) { args, run in
            let agent = try args.require(Policy.agentArgument)
            guard let stored = try PolicyStore(db: try run.store.connection).stored(agent) else {
                throw GovernanceError(.noPolicy, "agent \(Render.quoted(agent)) has no policy", hint: "list the agents with `governance policy list`")
            }
            run.emit(json: stored.json, text: PolicyYAML.emit([stored.policy]))
            return 0
        }
    }
}

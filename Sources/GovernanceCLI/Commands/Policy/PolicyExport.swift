import GovernanceCore

extension Policy {
    enum Export {
        static let command = CommandSpec(
            "export", "Write every stored policy as one YAML file that `policy apply` takes back unchanged",
            doc: "The output applied again changes nothing (each agent's SHA-256 stays the same).",
            examples: ["governance policy export > policies.yaml"],
            needs: .read
        ) { _, run in
            run.console.write(try PolicyStore(db: try run.store.connection).exportYAML())
            return 0
        }
    }
}

import GovernanceCore

extension Operator {
    enum Remove {
        static let name: Positional<String> = .one("NAME", "The operator\'s name")

        static let command = CommandSpec(
            "remove", "Retire an operator's key: it signs nothing from now on",
            doc: "Marks the operator removed, signed with --operator-key of a registered operator. What it signed before stays valid. Audited (operator.removed).",
            flags: [SharedFlags.operatorKey.required],
            positionals: [name],
            examples: ["governance operator remove bob"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let name = try args.require(Remove.name)
            let signer = try SharedFlags.operatorCredential(args, run)
            try Operators.remove(try run.store.connection, keys: try run.keys(), name: name, by: signer.credential)
            run.emit(json: .object([("removed", .string(name))]), text: "removed operator \(Render.escaped(name))")
            return 0
        }
    }
}

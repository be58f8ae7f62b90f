import GovernanceCore

extension GatesCommands {
    enum Cancel {
        static let command = CommandSpec(
            "cancel", "Withdraw a pending request by its id, signed with the operator's key",
            doc: "Marks a pending request cancelled (a request no one will decide, or asked for by mistake): `gates wait` exits 16 and no contract can use it. The same checks as deny. Audited (gate.cancelled).",
            flags: [SharedFlags.operatorKey.required, Deny.reason, GatesCommands.expectRequest],
            positionals: [GatesCommands.decisionArgument],
            examples: ["governance gates cancel 0b9f5c1e-3c52-4ae5-9d0c-0d6f2c8a7e11 --reason 'asked twice'"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .approvalTokenRejected, .operatorNotPermitted]
        ) { args, run in
            try GatesCommands.decide(.cancel, reason: try args[Deny.reason], args, run)
        }
    }
}

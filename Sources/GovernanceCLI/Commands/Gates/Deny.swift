import GovernanceCore

extension GatesCommands {
    enum Deny {
        static let reason: Flag<String> = .text("reason", short: "r", value: "TEXT", "Why (1-1024 bytes)")
        static let command = CommandSpec(
            "deny", "Refuse a request by its id (single use), signed with the operator's key",
            doc: "The same checks as grant (exit 19, audited, nothing changed); the request is marked denied and `gates wait` exits 16. Denying is allowed to the agent's own operator. REQUEST is the request id, a token, or - for a token on stdin.",
            flags: [SharedFlags.operatorKey.required, reason, GatesCommands.expectRequest],
            positionals: [GatesCommands.decisionArgument],
            examples: ["governance gates deny 0b9f5c1e-3c52-4ae5-9d0c-0d6f2c8a7e11 --reason 'amount too high'"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .approvalTokenRejected, .operatorNotPermitted]
        ) { args, run in
            try GatesCommands.decide(.deny, reason: try args[reason], args, run)
        }
    }
}

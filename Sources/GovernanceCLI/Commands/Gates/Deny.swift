import GovernanceCore

extension Gates {
    enum Deny {
        static let reason: Flag<String> = .text("reason", short: "r", value: "TEXT", "Why (1-1024 bytes)")

        static let command = CommandSpec(
            "deny", "Refuse the request a token is for (single use)",
            doc: "The same token checks as grant (exit 19, audited, nothing changed); the request is marked denied and `gates wait` exits 16. Denying is allowed to the agent's own operator. TOKEN may be - for stdin.",
            flags: [SharedFlags.by, reason, Gates.expectRequest],
            positionals: [Gates.tokenArgument],
            examples: ["governance gates deny \"$TOKEN\" --reason 'amount too high'"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .approvalTokenRejected]
        ) { args, run in
            try Gates.decide(.deny, reason: args[reason], args, run)
        }
    }
}

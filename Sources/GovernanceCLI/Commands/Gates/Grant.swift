import GovernanceCore

extension Gates {
    enum Grant {
        static let command = CommandSpec(
            "grant", "Approve the request a token is for (single use)",
            doc: """
            Checks the token (signature, that it is the token issued for its request, expiry, that the stored \
            action is still the action it was issued for, that the request is still pending) and marks the request \
            granted; `gates wait` in any process wakes within a second. Any failed check exits 19, is audited \
            (gate.token_rejected) and changes nothing. The operator bound to the agent by its heartbeat \
            (--operator), whether as --by or as the OS user, cannot grant (exit 22, audited). TOKEN may be - to \
            read it from stdin: arguments are visible to other local users (ps), stdin is not.
            """,
            flags: [SharedFlags.by, Gates.expectRequest],
            positionals: [Gates.tokenArgument],
            examples: ["governance gates grant \"$TOKEN\" --by alice", "printf '%s' \"$TOKEN\" | governance gates grant -"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .approvalTokenRejected, .operatorNotPermitted]
        ) { args, run in
            try Gates.decide(.grant, reason: nil, args, run)
        }
    }
}

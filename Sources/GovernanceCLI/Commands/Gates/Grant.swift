import GovernanceCore

extension GatesCommands {
    enum Grant {
        static let command = CommandSpec(
            "grant", "Approve a request by its id (single use), signed with the operator's key",
            doc: """
            Marks the request granted, with the decision signed by --operator-key; `gates wait` in any process wakes \
            within a second, and a contract's hitl_approved may use it once. REQUEST is the request id; the agent's \
            token is accepted too (then it is checked: signature, that it is the token issued for its request, that \
            the stored action is still the action it was issued for). REQUEST `-` reads the token from stdin instead \
            of argv, which other local users can see: one line, ended by LF or CRLF (or by the end of input); more \
            than one line is refused (exit 19). An unknown, decided or expired request, or a \
            failed token check, exits 19, is audited (gate.token_rejected) and changes nothing. The agent itself, and \
            the operator bound to it by its heartbeat (--operator), cannot grant (exit 22, audited).
            """,
            flags: [SharedFlags.operatorKey.required, GatesCommands.expectRequest],
            positionals: [GatesCommands.decisionArgument],
            examples: ["governance gates grant 0b9f5c1e-3c52-4ae5-9d0c-0d6f2c8a7e11", "printf '%s' \"$TOKEN\" | governance gates grant -"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .approvalTokenRejected, .operatorNotPermitted]
        ) { args, run in
            try GatesCommands.decide(.grant, reason: nil, args, run)
        }
    }
}

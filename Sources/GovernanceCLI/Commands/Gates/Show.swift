import GovernanceCore

extension GatesCommands {
    enum Show {
        static let command = CommandSpec(
            "show", "Show one approval request: the action, its status and who decided",
            doc: "Review what a token would approve before granting it (`gates grant TOKEN --request REQUEST_ID` then refuses any other request's token).",
            positionals: [GatesCommands.requestArgument],
            examples: ["governance gates show \"$REQUEST_ID\""],
            needs: .read,
            failures: [.invalidInput]
        ) { args, run in
            let id = try args.require(GatesCommands.requestArgument)
            guard SessionID(id) != nil, let request = try Gates.find(try run.store.connection, requestID: id.lowercased()) else {
                throw GovernanceError.invalid("no approval request \(Render.quoted(id))", hint: "`governance gates list` shows the requests")
            }
            run.emit(json: request.json(), text: GatesCommands.requestText(request))
            return 0
        }
    }
}

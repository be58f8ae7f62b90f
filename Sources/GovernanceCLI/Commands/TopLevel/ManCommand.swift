import GovernanceCore

extension TopLevel {
    enum ManCommand {
        static let page: Positional<String> = .one("GROUP", "A command group", optional: true, completion: .group)

        static let command = CommandSpec(
            "man", "Print a man page (roff)",
            doc: "Without an argument prints governance(1); with a group name prints that group's page, e.g. `governance man audit | man -l -`; `governance man exec` prints governance-exec(1).",
            positionals: [page],
            role: .meta
        ) { args, run in
            let table = run.table
            if let name = try args[page], let command = table.command([name]), command.ownManPage {
                run.console.write(ManPage.commandPage(command, table: table))
            } else if let group = try args[page] {
                guard table.group(group) != nil else {
                    throw GovernanceError.usage("no man page for \(Render.quoted(group))",
                                                hint: "groups: \(table.namedGroups.compactMap(\.name).joined(separator: ", "))")
                }
                run.console.write(ManPage.group(group, table: table))
            } else {
                run.console.write(ManPage.main(table))
            }
            return 0
        }
    }
}

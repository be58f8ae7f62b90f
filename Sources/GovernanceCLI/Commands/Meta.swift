import GovernanceCore

/// `help`, `completions`, `man`: documentation generated from the command table.
enum MetaCommands {
    static let all = [help, completions, man]

    static let help = CommandSpec(
        ["help"], "Show help for a command (or `help exit-codes`)",
        positionals: [PositionalSpec("COMMAND", "A group or command, e.g. `audit log`, or exit-codes", optional: true, variadic: true)]
    ) { inv in
        let words = inv.parsed.positionals
        if words == ["exit-codes"] {
            inv.console.write(Help.exitCodeText)
            return 0
        }
        guard words.isEmpty || inv.table.command(words) != nil || inv.table.isGroup(words) else {
            let known = inv.table.children(of: Array(words.dropLast()))
            let hint = Suggest.closest(to: words.last!, in: known).map { "did you mean `governance help \((words.dropLast() + [$0]).joined(separator: " "))`?" }
            throw GovernanceError.usage("no help for unknown command \"\(words.joined(separator: " "))\"", hint: hint ?? "run `governance help` to see the commands")
        }
        inv.console.write(Help.text(for: words, table: inv.table))
        return 0
    }

    static let completions = CommandSpec(
        ["completions"], "Print a shell completion script",
        doc: "bash: `source <(governance completions bash)`; zsh: put the output in a file named _governance on your $fpath; fish: `governance completions fish > ~/.config/fish/completions/governance.fish`.",
        positionals: [PositionalSpec("SHELL", "The shell", choices: ["bash", "zsh", "fish"])]
    ) { inv in
        let table = inv.table
        switch inv.parsed.positionals[0] {
        case "bash": inv.console.write(Completions.bash(table))
        case "zsh": inv.console.write(Completions.zsh(table))
        default: inv.console.write(Completions.fish(table))
        }
        return 0
    }

    static let man = CommandSpec(
        ["man"], "Print a man page (roff)",
        doc: "Without an argument prints governance(1); with a group name prints that group's page, e.g. `governance man audit | man -l -`.",
        positionals: [PositionalSpec("GROUP", "A command group", optional: true)]
    ) { inv in
        let table = inv.table
        if let group = inv.parsed.positionals.first {
            guard table.group(group) != nil else {
                throw GovernanceError.usage("no man page for \"\(group)\"", hint: "groups: \(table.groups.map(\.name).joined(separator: ", "))")
            }
            inv.console.write(ManPage.group(group, table: table))
        } else {
            inv.console.write(ManPage.main(table))
        }
        return 0
    }
}

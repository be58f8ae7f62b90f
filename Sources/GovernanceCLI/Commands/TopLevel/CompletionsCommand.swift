import GovernanceCore

extension TopLevel {
    enum CompletionsCommand {
        static let shell: Positional<String> = .one("SHELL", "The shell", choices: ["bash", "zsh", "fish"])

        static let command = CommandSpec(
            "completions", "Print a shell completion script",
            doc: "bash: `source <(governance completions bash)`; zsh: put the output in a file named _governance on your $fpath; fish: `governance completions fish > ~/.config/fish/completions/governance.fish`.",
            positionals: [shell],
            role: .meta
        ) { args, run in
            switch try args.require(shell) {
            case "bash": run.console.write(Completions.bash(run.table))
            case "zsh": run.console.write(Completions.zsh(run.table))
            default: run.console.write(Completions.fish(run.table))
            }
            return 0
        }
    }
}

import GovernanceCore

/// argv -> command -> core call -> rendered output + exit code.
public enum CLI {
    public static let version = "0.1.0"

    /// Runs one command line for the real process and returns its exit code.
    public static func run(_ arguments: [String]) -> Int32 {
        let console = Console.standard()
        let code = run(Array(arguments.dropFirst()), console: console, environment: { FileSystem.environment($0) })
        console.flush()
        return code
    }

    /// Runs `arguments` (without the program name) with an explicit console and environment.
    public static func run(_ arguments: [String], console: Console, environment: @escaping @Sendable (String) -> String?,
                           table: CommandTable = .standard) -> Int32 {
        // The output format must be known to render even a parse error the way the caller asked.
        let wantsJSON = arguments.contains("--json") || arguments.contains("--format=json")
            || zip(arguments, arguments.dropFirst()).contains { $0 == "--format" && $1 == "json" }
        let parsed: ParsedArguments
        do {
            parsed = try ArgumentParser(table: table).parse(arguments)
        } catch {
            return report(error, console: console, format: wantsJSON ? .json : .text)
        }
        let invocation = Invocation(parsed: parsed, table: table, console: console, environment: environment)
        if parsed.versionRequested && parsed.words.isEmpty {
            invocation.emit(json: .object([("version", .string(version))]), text: "governance \(version)")
            return 0
        }
        if parsed.helpRequested || parsed.command == nil {
            console.write(Help.text(for: parsed.words, table: table))
            // `governance` alone or `governance audit` asks for help but is not a successful command.
            return parsed.helpRequested ? 0 : 2
        }
        do {
            let command = parsed.command!
            try checkPositionals(command, parsed)
            return try command.handler(invocation)
        } catch {
            return report(error, console: console, format: invocation.format)
        }
    }

    private static func checkPositionals(_ command: CommandSpec, _ parsed: ParsedArguments) throws {
        let required = command.positionals.filter { !$0.optional }.count
        let variadic = command.positionals.contains { $0.variadic }
        if parsed.positionals.count < required {
            let missing = command.positionals[parsed.positionals.count]
            throw GovernanceError.usage("missing \(missing.name)", hint: "run `governance \(command.name) --help`")
        }
        if !variadic && parsed.positionals.count > command.positionals.count {
            throw GovernanceError.usage("unexpected argument \"\(parsed.positionals[command.positionals.count])\"",
                                        hint: "run `governance \(command.name) --help`")
        }
        for (spec, value) in zip(command.positionals, parsed.positionals) where !spec.choices.isEmpty && !spec.choices.contains(value) {
            throw GovernanceError.usage("invalid \(spec.name) \"\(value)\"", hint: "choose one of: \(spec.choices.joined(separator: ", "))")
        }
    }

    static func report(_ error: any Error, console: Console, format: OutputFormat) -> Int32 {
        let failure = (error as? GovernanceError) ?? .internalError("\(error)")
        for line in Render.error(failure, format: format).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            console.errorLine(String(line))
        }
        return failure.exitCode
    }
}

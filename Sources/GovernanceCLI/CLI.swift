import Glibc
import GovernanceCore

/// argv -> command -> core call -> rendered output + exit code.
public enum CLI {
    public static let version = "0.1.0"

    /// Runs the real process's command line and returns its exit code.
    public static func main() -> Int32 {
        let console = Console.standard()
        let code: Int32
        switch ProcessArguments.read().flatMap({ arguments in
            ProcessArguments.checkEnvironment(EnvironmentVariable.all.map(\.name)).map { arguments }
        }) {
        case .success(let arguments):
            code = run(arguments, console: console, environment: { FileSystem.environment($0) },
                       table: .forArguments(arguments))
        case .failure(let error):
            let arguments = CommandLine.arguments
            code = report(error, console: console, format: arguments.contains("--json") ? .json : .text)
        }
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
        if parsed.versionRequested && parsed.words.isEmpty {
            console.line(wantsJSON ? JSONWriter.ordered(.object([("version", .string(version))])) : "governance \(version)")
            return 0
        }
        guard let command = parsed.command, !parsed.helpRequested else {
            console.write(Help.text(for: parsed.words, table: table))
            // `governance` alone or `governance audit` asks for help but is not a successful command.
            return parsed.helpRequested ? 0 : 2
        }
        let format: OutputFormat = wantsJSON ? .json : .text
        do {
            let arguments = try FlagResolver(environment: environment, console: console).resolve(parsed, command: command)
            let run = Run(arguments: arguments, console: console, environment: environment, table: table)
            do {
                try run.prepare(try command.needs(for: arguments), requireDurable: command.declares(Observation.requireDurable) && arguments.has(Observation.requireDurable))
                return try command.handler(arguments, run)
            } catch {
                return report(error, console: console, format: run.format)
            }
        } catch {
            return report(error, console: console, format: format)
        }
    }

    /// Every failure, whatever the command: `governance: error: ...` and `hint: ...` on stderr, or
    /// the `{"error":{...}}` document there with --json. Returns the failure's exit code.
    static func report(_ error: any Error, console: Console, format: OutputFormat) -> Int32 {
        let failure = (error as? GovernanceError) ?? .internalError("\(error)")
        for line in Render.error(failure, format: format).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            console.errorLine(String(line))
        }
        return failure.exitCode
    }
}

/// The process's arguments, read as bytes: Swift's `CommandLine.arguments` replaces invalid
/// UTF-8 with U+FFFD, which would make two different agent ids one. Invalid UTF-8 is exit 2.
enum ProcessArguments {
    static func read() -> Result<[String], GovernanceError> {
        var arguments: [String] = []
        for i in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[i] else { continue }
            guard let text = String(validatingCString: pointer) else {
                let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
                return .failure(.usage("argument \(i) is not valid UTF-8: \(Render.quoted(String(decoding: bytes, as: UTF8.self)))",
                                       hint: "identifiers and values must be UTF-8 text"))
            }
            arguments.append(text)
        }
        return .success(arguments)
    }

    /// The variables the tool reads must be valid UTF-8 too (an agent id from the environment).
    static func checkEnvironment(_ names: [String]) -> Result<Void, GovernanceError> {
        for name in names {
            guard let pointer = getenv(name), String(validatingCString: pointer) == nil else { continue }
            return .failure(.usage("\(name) is not valid UTF-8", hint: "identifiers and values must be UTF-8 text"))
        }
        return .success(())
    }
}

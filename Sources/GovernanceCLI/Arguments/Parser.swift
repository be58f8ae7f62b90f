import GovernanceCore

/// The low-level result of parsing argv: which command, and the raw values of its flags. Turning
/// those into what the program does happens in `Invocation` (ripgrep's low/high-level split).
public struct ParsedArguments: Sendable {
    /// The resolved command, or nil when argv named only a group (or nothing).
    public var command: CommandSpec?
    /// The command words consumed so far (`["audit"]` for `governance audit`).
    public var words: [String] = []
    public var values: [String: [String]] = [:]
    public var switches: Set<String> = []
    public var positionals: [String] = []
    public var helpRequested = false
    public var versionRequested = false
}

/// Parses argv against the command table: `--name value`, `--name=value`, `-x value`, `-xVALUE`,
/// global flags anywhere, `--` ending flags. Command flags come after the command words.
public struct ArgumentParser {
    public let table: CommandTable

    public init(table: CommandTable) { self.table = table }

    public func parse(_ arguments: [String]) throws -> ParsedArguments {
        var result = ParsedArguments()
        var index = 0
        var flagsEnded = false

        func flagSpecs() -> [FlagSpec] { GlobalFlags.all + (result.command?.flags ?? []) }

        // Values stay text here; `FlagResolver` checks and converts them (one error style).
        func record(_ flag: FlagSpec, value: String?) throws {
            if let value {
                if flag.repeatable { result.values[flag.name, default: []].append(value) } else { result.values[flag.name] = [value] }
            } else {
                result.switches.insert(flag.name)
            }
        }

        func takeValue(for flag: FlagSpec, shown: String) throws -> String {
            index += 1
            guard index < arguments.count else {
                throw GovernanceError.usage("\(shown) needs a value (\(flag.valueName ?? "VALUE"))", hint: helpHint(result))
            }
            return arguments[index]
        }

        while index < arguments.count {
            let argument = arguments[index]
            if !flagsEnded && argument == "--" {
                flagsEnded = true
            } else if !flagsEnded && argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name: String, inline: String?
                if let eq = body.firstIndex(of: "=") {
                    name = String(body[..<eq])
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = String(body)
                    inline = nil
                }
                if name == "help" { result.helpRequested = true; index += 1; continue }
                if name == "version" { result.versionRequested = true; index += 1; continue }
                guard let flag = flagSpecs().first(where: { $0.name == name }) else {
                    throw unknownFlag("--" + name, result)
                }
                if flag.takesValue {
                    try record(flag, value: try inline ?? takeValue(for: flag, shown: "--" + name))
                } else {
                    if inline != nil { throw GovernanceError.usage("--\(name) takes no value", hint: helpHint(result)) }
                    try record(flag, value: nil)
                }
            } else if !flagsEnded && argument.hasPrefix("-") && argument != "-" {
                // One or more short flags: -q, -qv, -a ID, -aID.
                var characters = Array(argument.dropFirst())
                while !characters.isEmpty {
                    let c = characters.removeFirst()
                    if c == "h" { result.helpRequested = true; continue }
                    guard let flag = flagSpecs().first(where: { $0.short == c }) else {
                        throw unknownFlag("-" + String(c), result)
                    }
                    if flag.takesValue {
                        let value = characters.isEmpty ? try takeValue(for: flag, shown: "-\(c)") : String(characters)
                        try record(flag, value: value)
                        characters = []
                    } else {
                        try record(flag, value: nil)
                    }
                }
            } else if result.command == nil && !flagsEnded {
                // A command word: descend the tree.
                let candidate = result.words + [argument]
                if let command = table.command(candidate) {
                    result.command = command
                    result.words = candidate
                } else if table.isGroup(candidate) {
                    result.words = candidate
                } else if result.helpRequested {
                    result.positionals.append(argument)
                } else {
                    throw unknownCommand(argument, under: result.words)
                }
            } else {
                result.positionals.append(argument)
            }
            index += 1
        }
        return result
    }

    private func helpHint(_ result: ParsedArguments) -> String {
        "run `governance \((result.words + ["--help"]).joined(separator: " "))`"
    }

    private func unknownFlag(_ shown: String, _ result: ParsedArguments) -> GovernanceError {
        let known = (GlobalFlags.all + (result.command?.flags ?? [])).map { "--" + $0.name } + ["--help", "--version"]
        var message = "unknown flag \(shown)"
        if result.command == nil, table.commands.contains(where: { $0.flags.contains { "--" + $0.name == shown } }) {
            message += " (command flags go after the command)"
        }
        if let command = result.command, shown == "--" + DocumentFormat.flag.spec.name {
            // --format is a command's flag, not a global one: say which command has it.
            let owners = CommandTable.standard.commands.filter { $0.declares(DocumentFormat.flag) }.map { "`governance \($0.name)`" }
            return GovernanceError.usage("`governance \(command.name)` has no --format (it is a flag of \(owners.joined(separator: ", ")))",
                                         hint: "use --json for JSON output")
        }
        if let suggestion = Suggest.closest(to: shown, in: known) {
            return GovernanceError.usage(message, hint: "did you mean \(suggestion)?")
        }
        return GovernanceError.usage(message, hint: helpHint(result))
    }

    private func unknownCommand(_ word: String, under words: [String]) -> GovernanceError {
        let options = table.children(of: words)
        let place = words.isEmpty ? "governance" : "governance " + words.joined(separator: " ")
        let message = words.isEmpty ? "unknown command \"\(word)\"" : "unknown command \"\(word)\" for \(place)"
        if let suggestion = Suggest.closest(to: word, in: options) {
            return GovernanceError.usage(message, hint: "did you mean `\(place) \(suggestion)`?")
        }
        return GovernanceError.usage(message, hint: "run `\(place) --help` to see the commands")
    }
}

/// "Did you mean": the closest candidate by edit distance (transpositions count as one edit).
public enum Suggest {
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = max(2, word.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(word, candidate)
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        if best == nil, word.count >= 3 {
            return candidates.first { $0.hasPrefix(word) }
        }
        return best?.0
    }

    /// Optimal string alignment distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}

import GovernanceCore

/// The high-level view of a command line: every flag of the command checked against its
/// definition (type, bounds, requirement, environment fallback, conflicts) and converted, ready
/// for the handler to read by definition (`args[Log.kind]`).
public struct Arguments: @unchecked Sendable {
    public let command: CommandSpec
    public let positionals: [String]
    /// Converted values by flag name: one value, or every value of a repeatable flag.
    private let values: [String: [Any]]
    /// Flags given on the command line (not from the environment).
    public let given: Set<String>

    init(command: CommandSpec, positionals: [String], values: [String: [Any]], given: Set<String>) {
        self.command = command
        self.positionals = positionals
        self.values = values
        self.given = given
    }

    /// The flag's value (the last one given), or nil when absent.
    public subscript<Value>(_ flag: Flag<Value>) -> Value? {
        values[flag.spec.name]?.last as? Value
    }

    /// Every value of a repeatable flag, in order.
    public func all<Value>(_ flag: Flag<Value>) -> [Value] {
        (values[flag.spec.name] ?? []).compactMap { $0 as? Value }
    }

    /// True when the switch was given.
    public func has(_ flag: Flag<Bool>) -> Bool { self[flag] == true }

    /// True when the flag has a value, from the command line or its environment variable.
    public func isSet<Value>(_ flag: Flag<Value>) -> Bool { values[flag.spec.name] != nil }

    /// A value the command cannot do without (for flags required only in some uses, such as
    /// `--kind` without `--batch`); the resolver has already enforced plain `required`.
    public func require<Value>(_ flag: Flag<Value>) throws -> Value {
        guard let value = self[flag] else { throw FlagResolver.missing(flag.spec) }
        return value
    }

    // The global flags every command has.
    public var format: OutputFormat {
        if has(GlobalFlags.json) { return .json }
        return self[GlobalFlags.format].flatMap(OutputFormat.init(rawValue:)) ?? .text
    }
    /// The --format asked for, document formats included (`format` folds those into text).
    public var formatName: String {
        if has(GlobalFlags.json) { return "json" }
        return self[GlobalFlags.format] ?? "text"
    }
    public var quiet: Bool { has(GlobalFlags.quiet) }
    public var verbose: Bool { has(GlobalFlags.verbose) }
}

/// Turns parsed text into `Arguments` (ripgrep's low-level/high-level split): the one place that
/// knows how each kind of value is read, checked and reported when wrong.
public struct FlagResolver {
    let environment: (String) -> String?
    let console: Console

    public init(environment: @escaping (String) -> String?, console: Console) {
        self.environment = environment
        self.console = console
    }

    public func resolve(_ parsed: ParsedArguments, command: CommandSpec) throws -> Arguments {
        let specs = GlobalFlags.all + command.flags
        var values: [String: [Any]] = [:]
        var given: Set<String> = []
        for spec in specs {
            if spec.kind == .toggle {
                if parsed.switches.contains(spec.name) {
                    values[spec.name] = [true]
                    given.insert(spec.name)
                }
                continue
            }
            if let raw = parsed.values[spec.name] {
                given.insert(spec.name)
                values[spec.name] = try raw.map { try convert($0, for: spec, source: "--" + spec.name) }
            } else if let variable = spec.environment, let raw = environment(variable) {
                values[spec.name] = [try convert(raw, for: spec, source: variable)]
            }
        }
        for spec in specs {
            switch spec.requirement {
            case .optional: break
            case .required:
                if values[spec.name] == nil { throw Self.missing(spec) }
            case .requiredUnless(let others):
                if values[spec.name] == nil, !others.contains(where: { given.contains($0) }) { throw Self.missing(spec) }
            }
            guard given.contains(spec.name) else { continue }
            if let other = spec.conflicts.first(where: { given.contains($0) }) {
                throw GovernanceError.usage("give --\(spec.name) or --\(other), not both", hint: helpHint(command))
            }
            if let other = spec.requires.first(where: { values[$0] == nil }) {
                throw GovernanceError.usage("--\(spec.name) needs --\(other)", hint: helpHint(command))
            }
        }
        try checkPositionals(parsed.positionals, command)
        if let format = values[GlobalFlags.format.spec.name]?.last as? String, !command.formats.contains(format) {
            throw GovernanceError.usage("`governance \(command.name)` does not write --format \(format)",
                                        hint: "it writes \(command.formats.joined(separator: ", ")); markdown and html are for `governance compliance report`")
        }
        return Arguments(command: command, positionals: parsed.positionals, values: values, given: given)
    }

    static func missing(_ spec: FlagSpec) -> GovernanceError {
        let name = "--" + spec.name + (spec.environment.map { " (or \($0))" } ?? "")
        var hint = "run `governance help` for the command's flags"
        if spec.name == "session" { hint = "run `export GOVERNANCE_SESSION_ID=$(governance session new)` once per agent run" }
        if spec.name == "agent" { hint = "name the agent, for example --agent billing-agent" }
        return GovernanceError.usage("missing \(name)", hint: hint)
    }

    private func helpHint(_ command: CommandSpec) -> String { "run `governance \(command.name) --help`" }

    /// Reads and checks one value; `source` names where it came from (`--limit` or a variable).
    private func convert(_ raw: String, for spec: FlagSpec, source: String) throws -> Any {
        let shown = Render.quoted(raw)
        switch spec.kind {
        case .toggle:
            return true
        case .text:
            guard !raw.isEmpty else { throw GovernanceError.usage("\(source) must not be empty") }
            return raw
        case .path:
            guard !raw.isEmpty else { throw GovernanceError.usage("\(source) needs a path") }
            return raw
        case .choice(let choices):
            guard choices.contains(raw) else {
                throw GovernanceError.usage("invalid value \(shown) for \(source)", hint: "choose one of: \(choices.joined(separator: ", "))")
            }
            return raw
        case .integer(let range):
            guard let n = Int64(raw), range.contains(n) else {
                let bounds = range.upperBound == .max ? "of at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
                throw GovernanceError.usage("\(source) must be a whole number \(bounds) (got \(shown))")
            }
            return n
        case .decimal:
            guard Self.isDecimal(raw) else {
                throw GovernanceError.usage("\(source) must be a decimal number such as 0.50 (got \(shown))")
            }
            return raw
        case .time:
            guard let t = Timestamp(parsingUserTime: raw) else {
                throw GovernanceError.usage("\(source) must be an RFC 3339 time such as 2026-11-26T04:15:45Z, a date such as 2026-11-26, or relative (1h, 7d, 2w, today, yesterday; UTC) (got \(shown))")
            }
            return t
        case .uuid:
            do {
                return try SessionID.parse(raw)
            } catch {
                throw GovernanceError(error.kind, "\(source): \(error.message)", hint: error.recoveryHint)
            }
        case .jsonObject(let maxBytes):
            let bytes = try read(raw, flag: spec, limit: maxBytes)
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes: bytes)
            } catch {
                throw GovernanceError.invalid("\(source): \(error.message)", hint: error.recoveryHint)
            }
            guard case .object = value else {
                throw GovernanceError.invalid("\(source) must be a JSON object, like '{\"key\": \"value\"}'")
            }
            return value
        case .content:
            return ContentDigest(hex: try digest(raw, flag: spec))
        }
    }

    /// Plain decimal text: digits, optionally a point and more digits. The core converts it
    /// exactly (money is integer nano-dollars).
    static func isDecimal(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// `@FILE`, `-` or the text itself, read at most `limit` bytes: a larger input stops the
    /// read at once (`@/dev/zero` must not grow without end).
    private func read(_ raw: String, flag: FlagSpec, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try forEachChunk(raw, flag: flag) { chunk in
            out += chunk
            if out.count > limit {
                throw GovernanceError.invalid("--\(flag.name) is larger than \(Render.bytes(limit)); nothing was written",
                                              hint: "store large payloads elsewhere and log their SHA-256")
            }
        }
        return out
    }

    /// The SHA-256 of `@FILE`, `-` or the text, streamed in constant memory.
    private func digest(_ raw: String, flag: FlagSpec) throws -> String {
        var hasher = SHA256Stream()
        try forEachChunk(raw, flag: flag) { hasher.update($0) }
        return hasher.finalizeHex()
    }

    private func forEachChunk(_ raw: String, flag: FlagSpec, _ body: ([UInt8]) throws -> Void) throws {
        if raw == "-" {
            let next = try console.stdinChunks()
            while let chunk = try next() { try body(chunk) }
        } else if raw.hasPrefix("@") {
            let path = String(raw.dropFirst())
            let fd: Int32
            do {
                fd = try FileSystem.openForReading(path, what: "--\(flag.name) file")
            } catch {
                throw GovernanceError.usage(error.message, hint: "check the path after @ in --\(flag.name)")
            }
            defer { FileSystem.close(fd) }
            while let chunk = try FileSystem.readChunk(fd: fd, what: "--\(flag.name) file \(path)") { try body(chunk) }
        } else {
            try body(Array(raw.utf8))
        }
    }

    private func checkPositionals(_ positionals: [String], _ command: CommandSpec) throws {
        let required = command.positionals.filter { !$0.optional }.count
        let variadic = command.positionals.contains { $0.variadic }
        if positionals.count < required {
            let missing = command.positionals[positionals.count]
            throw GovernanceError.usage("missing \(missing.name)", hint: helpHint(command))
        }
        if !variadic && positionals.count > command.positionals.count {
            throw GovernanceError.usage("unexpected argument \(Render.quoted(positionals[command.positionals.count]))", hint: helpHint(command))
        }
        for (spec, value) in zip(command.positionals, positionals) where !spec.choices.isEmpty && !spec.choices.contains(value) {
            throw GovernanceError.usage("invalid \(spec.name) \(Render.quoted(value))", hint: "choose one of: \(spec.choices.joined(separator: ", "))")
        }
    }
}

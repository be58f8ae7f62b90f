import GovernanceCore

/// The high-level view of a command line: every flag of the command checked against its
/// definition (type, bounds, requirement, environment fallback, relations) and converted, ready
/// for the handler to read by definition (`try args[Log.kind]`). Reading a flag or an argument
/// the command does not declare throws an internal error rather than answering nil.
public struct Arguments: @unchecked Sendable {
    public let command: CommandSpec
    private let positionals: [String]
    /// Converted values by definition: one value, or every value of a repeatable flag.
    private let values: [FlagID: [Any]]
    /// Flags given on the command line (not from the environment).
    private let given: Set<FlagID>

    init(command: CommandSpec, positionals: [String], values: [FlagID: [Any]], given: Set<FlagID>) {
        self.command = command
        self.positionals = positionals
        self.values = values
        self.given = given
    }

    private func declared(_ spec: FlagSpec) throws -> FlagID {
        guard GlobalFlags.all.contains(where: { $0.id == spec.id }) || command.flags.contains(where: { $0.id == spec.id }) else {
            throw GovernanceError.internalError("`governance \(command.name)` read --\(spec.name), a flag it does not declare")
        }
        return spec.id
    }

    /// The flag's value (the last one given), or nil when absent.
    public subscript<F: TypedFlag>(_ flag: F) -> F.Value? {
        get throws { values[try declared(flag.spec)]?.last as? F.Value }
    }

    /// Every value of a repeatable flag, in order.
    public func all<F: TypedFlag>(_ flag: F) throws -> [F.Value] {
        (values[try declared(flag.spec)] ?? []).compactMap { $0 as? F.Value }
    }

    /// True when the switch was given.
    public func has<F: TypedFlag>(_ flag: F) throws -> Bool where F.Value == Bool { try self[flag] == true }

    /// True when the flag was given on the command line (not taken from the environment).
    public func isGiven(_ flag: some FlagDeclaration) throws -> Bool { given.contains(try declared(flag.spec)) }

    /// A value the command cannot do without (for flags required only in some uses, such as
    /// `--kind` without `--batch`); the resolver has already enforced plain `required`.
    public func require<F: TypedFlag>(_ flag: F) throws -> F.Value {
        guard let value = try self[flag] else { throw FlagResolver.missing(flag.spec) }
        return value
    }

    private func index(_ spec: PositionalSpec) throws -> Int {
        guard let index = command.positionals.firstIndex(where: { $0.id == spec.id }) else {
            throw GovernanceError.internalError("`governance \(command.name)` read \(spec.name), an argument it does not declare")
        }
        return index
    }

    /// The argument, or nil when an optional one is absent.
    public subscript(_ argument: Positional<String>) -> String? {
        get throws {
            let i = try index(argument.spec)
            return i < positionals.count ? positionals[i] : nil
        }
    }

    /// A variadic argument: every word from its place on (empty when none).
    public subscript(_ argument: Positional<[String]>) -> [String] {
        get throws { Array(positionals.dropFirst(try index(argument.spec))) }
    }

    /// A required argument (the resolver has checked it is there).
    public func require(_ argument: Positional<String>) throws -> String {
        guard let value = try self[argument] else { throw GovernanceError.usage("missing \(argument.spec.name)") }
        return value
    }

    private func global<Value>(_ flag: Flag<Value>) -> Value? { values[flag.spec.id]?.last as? Value }

    // The global flags every command has.
    public var format: OutputFormat {
        if global(GlobalFlags.json) == true { return .json }
        return global(DocumentFormat.flag).flatMap(OutputFormat.init(rawValue:)) ?? .text
    }
    /// The --format asked for, document formats included (`format` folds those into text); only a
    /// command that declares `DocumentFormat.flag` has one.
    public var formatName: String {
        if global(GlobalFlags.json) == true { return "json" }
        return global(DocumentFormat.flag) ?? "text"
    }
    public var quiet: Bool { global(GlobalFlags.quiet) == true }
    public var verbose: Bool { global(GlobalFlags.verbose) == true }
    public var failOpen: Bool { global(GlobalFlags.failOpen) == true }
    /// `--database-url` and `--audit-secret-file` as given on the command line: the core resolves
    /// their environment variables (`Configuration.resolve`).
    var databaseURL: String? { given.contains(GlobalFlags.databaseURL.spec.id) ? global(GlobalFlags.databaseURL) : nil }
    var auditSecretFile: String? { given.contains(GlobalFlags.auditSecretFile.spec.id) ? global(GlobalFlags.auditSecretFile) : nil }
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
        var values: [FlagID: [Any]] = [:]
        var given: Set<FlagID> = []
        for spec in specs {
            if spec.kind == .toggle {
                if parsed.switches.contains(spec.name) {
                    values[spec.id] = [true]
                    given.insert(spec.id)
                }
                continue
            }
            if let raw = parsed.values[spec.name] {
                given.insert(spec.id)
                values[spec.id] = try raw.map { try convert($0, for: spec, source: "--" + spec.name) }
            } else if let variable = spec.environment, let raw = environment(variable.name) {
                let value = try convert(raw, for: spec, source: variable.name)
                if !spec.environmentResolvedByCore { values[spec.id] = [value] }
            }
        }
        for spec in specs {
            switch spec.requirement {
            case .optional: break
            case .required:
                if values[spec.id] == nil { throw Self.missing(spec) }
            case .requiredUnless(let others):
                if values[spec.id] == nil, !others.contains(where: { given.contains($0.id) }) { throw Self.missing(spec) }
            }
            guard given.contains(spec.id) else { continue }
            if let other = spec.conflicts.first(where: { given.contains($0.id) }) {
                throw GovernanceError.usage("give --\(spec.name) or --\(other.name), not both", hint: helpHint(command))
            }
            if let other = spec.requires.first(where: { values[$0.id] == nil }) {
                throw GovernanceError.usage("--\(spec.name) needs --\(other.name)", hint: helpHint(command))
            }
        }
        try checkPositionals(parsed.positionals, command)
        return Arguments(command: command, positionals: parsed.positionals, values: values, given: given)
    }

    static func missing(_ spec: FlagSpec) -> GovernanceError {
        let name = "--" + spec.name + (spec.environment.map { " (or \($0.name))" } ?? "")
        return GovernanceError.usage("missing \(name)", hint: spec.missingHint ?? "run `governance help` for the command's flags")
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
                throw GovernanceError.invalid("--\(flag.name) is larger than \(byteSize(limit)); nothing was written",
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

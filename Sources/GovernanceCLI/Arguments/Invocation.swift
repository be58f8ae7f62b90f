import GovernanceCore

/// The high-level view of one run: parsed flags resolved into values the commands use, plus the
/// console, the environment and (opened on first use) the configuration, the store and the keys.
public final class Invocation: @unchecked Sendable {
    public let parsed: ParsedArguments
    public let table: CommandTable
    public let console: Console
    public let environment: @Sendable (String) -> String?

    public init(parsed: ParsedArguments, table: CommandTable, console: Console, environment: @escaping @Sendable (String) -> String?) {
        self.parsed = parsed
        self.table = table
        self.console = console
        self.environment = environment
    }

    // MARK: global flags

    public var format: OutputFormat {
        if parsed.switches.contains("json") { return .json }
        return parsed.values["format"]?.last.flatMap(OutputFormat.init(rawValue:)) ?? .text
    }
    public var quiet: Bool { parsed.switches.contains("quiet") }
    public var verbose: Bool { parsed.switches.contains("verbose") }

    // MARK: flag values

    public func value(_ name: String) -> String? { parsed.values[name]?.last }
    public func values(_ name: String) -> [String] { parsed.values[name] ?? [] }
    public func has(_ name: String) -> Bool { parsed.switches.contains(name) || parsed.values[name] != nil }

    public func required(_ name: String, hint: String? = nil) throws -> String {
        guard let value = value(name) else {
            throw GovernanceError.usage("missing --\(name)", hint: hint ?? "run `governance \(parsed.words.joined(separator: " ")) --help`")
        }
        return value
    }

    public func integer(_ name: String, minimum: Int64 = Int64.min) throws -> Int64? {
        guard let text = value(name) else { return nil }
        guard let n = Int64(text), n >= minimum else {
            throw GovernanceError.usage("--\(name) must be an integer\(minimum > Int64.min ? " of at least \(minimum)" : "") (got \"\(text)\")")
        }
        return n
    }

    public func timestamp(_ name: String) throws -> Timestamp? {
        guard let text = value(name) else { return nil }
        guard let t = Timestamp(parsing: text) else {
            throw GovernanceError.usage("--\(name) must be an RFC 3339 time such as 2026-11-26T04:15:45Z or a date such as 2026-11-26 (got \"\(text)\")")
        }
        return t
    }

    /// `--session`, else `GOVERNANCE_SESSION_ID`.
    public func session(required: Bool) throws -> SessionID? {
        if let text = value("session") ?? environment("GOVERNANCE_SESSION_ID") {
            return try SessionID.parse(text)
        }
        guard !required else {
            throw GovernanceError.usage("missing --session (or GOVERNANCE_SESSION_ID)",
                                        hint: "run `export GOVERNANCE_SESSION_ID=$(governance session new)` once per agent run")
        }
        return nil
    }

    /// `--agent`, else `GOVERNANCE_AGENT_ID`.
    public func agent(required: Bool) throws -> String? {
        if let agent = value("agent") ?? environment("GOVERNANCE_AGENT_ID") { return agent }
        guard !required else {
            throw GovernanceError.usage("missing --agent (or GOVERNANCE_AGENT_ID)", hint: "name the agent, for example --agent billing-agent")
        }
        return nil
    }

    /// A value that may be `@FILE` (the file's bytes), `-` (standard input) or the text itself.
    public func bytes(ofValue text: String, flag: String) throws -> [UInt8] {
        if text == "-" { return try console.readStdin() }
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            do {
                return try FileSystem.readBytes(path, what: "--\(flag) file")
            } catch {
                throw GovernanceError.usage(error.message, hint: "check the path after @ in --\(flag)")
            }
        }
        return Array(text.utf8)
    }

    /// A flag whose value is a JSON object, literal or `@FILE` or `-`.
    public func jsonObject(_ name: String) throws -> JSONValue? {
        guard let text = value(name) else { return nil }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes: try bytes(ofValue: text, flag: name))
        } catch let error as GovernanceError where error.kind == .invalidInput {
            throw GovernanceError.invalid("--\(name): \(error.message)", hint: error.recoveryHint)
        }
        guard case .object = value else {
            throw GovernanceError.invalid("--\(name) must be a JSON object, like '{\"key\": \"value\"}'")
        }
        return value
    }

    // MARK: output

    /// Writes the command's result: `json` with --json, `text` otherwise, nothing with --quiet.
    public func emit(json: @autoclosure () -> JSONValue, text: @autoclosure () -> String) {
        guard !quiet else { return }
        switch format {
        case .json: console.line(JSONWriter.ordered(json()))
        case .text: console.line(text())
        }
    }

    public func note(_ text: String) {
        if verbose { console.errorLine("governance: \(text)") }
    }

    // MARK: the store

    private var cachedConfiguration: Configuration?
    private var cachedStore: Store?
    private var cachedKeys: PurposeKeys?

    public func configuration() throws -> Configuration {
        if let cachedConfiguration { return cachedConfiguration }
        let env = environment
        let resolved = try Configuration.resolve(databaseURL: value("database-url"), secretFile: value("audit-secret-file"),
                                                 environment: { env($0) })
        cachedConfiguration = resolved
        return resolved
    }

    /// The secret's purpose keys; for a writer (`creating`) on an embedded store that holds no
    /// events, a missing secret is created (and said). A reader never creates one.
    public func keys(creating: Bool = false) throws -> PurposeKeys {
        if let cachedKeys { return cachedKeys }
        let env = environment
        let (secret, created) = try configuration().loadSecret(environment: { env($0) }, createIfMissing: creating)
        if let created {
            console.errorLine("governance: created a new audit secret at \(created) (mode 0600); keep it safe: without it the chain cannot be verified")
        }
        cachedKeys = secret.keys
        return secret.keys
    }

    /// The store, opened on first use: for `.write` created and (SQLite) migrated as needed;
    /// for `.read` (the default) it must exist at the latest schema.
    public func store(_ access: StoreAccess = .read) throws -> Store {
        if let cachedStore { return cachedStore }
        let config = try configuration()
        note("store: \(config.redactedStoreDescription)")
        let store = try Store.open(config, access: access)
        cachedStore = store
        return store
    }
}

/// What a report is about, named by whoever runs it: the AI system, its version, its provider and
/// deployer (Art. 3(3), 3(4)), and an optional sign-off. It comes from a small YAML file
/// (`--metadata-file FILE`) and flags, never from the store; every format shows it, escaped like store
/// text, since a CI job may fill it from anything.
public struct ReportMetadata: Sendable, Equatable {
    /// A person's sign-off on the report: who, in what role, when, and what they state.
    public struct SignOff: Sendable, Equatable {
        public var name: String
        public var role: String?
        /// A date, YYYY-MM-DD.
        public var date: String?
        public var statement: String?

        public init(name: String, role: String? = nil, date: String? = nil, statement: String? = nil) {
            self.name = name
            self.role = role
            self.date = date
            self.statement = statement
        }

        public var json: JSONValue {
            .object([("name", .string(name)), ("role", .optional(role)), ("date", .optional(date)), ("statement", .optional(statement))])
        }
    }

    public var systemName: String?
    public var systemVersion: String?
    public var provider: String?
    public var deployer: String?
    public var signOff: SignOff?

    /// Names, roles and versions: the identifier limit.
    public static let maxFieldBytes = Identifier.maxBytes
    public static let maxStatementBytes = 4096
    public static let maxFileBytes = 64 * 1024
    static let keys = ["system_name", "system_version", "provider", "deployer", "sign_off"]
    static let signOffKeys = ["name", "role", "date", "statement"]

    public init(systemName: String? = nil, systemVersion: String? = nil, provider: String? = nil, deployer: String? = nil,
                signOff: SignOff? = nil) {
        self.systemName = systemName
        self.systemVersion = systemVersion
        self.provider = provider
        self.deployer = deployer
        self.signOff = signOff
    }

    /// This metadata with every field `other` gives put in its place (flags over the file).
    public func overridden(by other: ReportMetadata) -> ReportMetadata {
        ReportMetadata(systemName: other.systemName ?? systemName, systemVersion: other.systemVersion ?? systemVersion,
                       provider: other.provider ?? provider, deployer: other.deployer ?? deployer, signOff: other.signOff ?? signOff)
    }

    /// Throws (exit 2) when a field breaks a rule: names, roles and versions are 1-256 bytes without
    /// control characters; a statement is at most 4096 bytes; a date is YYYY-MM-DD.
    public func validate() throws(GovernanceError) {
        for (value, field) in [(systemName, "system_name"), (systemVersion, "system_version"), (provider, "provider"),
                               (deployer, "deployer"), (signOff?.name, "sign_off.name"), (signOff?.role, "sign_off.role")] {
            if let value { try Identifier.check(value, field: field, maxBytes: Self.maxFieldBytes) }
        }
        if let statement = signOff?.statement { try Identifier.check(statement, field: "sign_off.statement", maxBytes: Self.maxStatementBytes) }
        if let date = signOff?.date, date.utf8.count != 10 || Timestamp(parsing: date + "T00:00:00Z") == nil {
            throw .invalid("sign_off.date must be a date, YYYY-MM-DD (got \"" + TerminalText.escaped(date) + "\")")
        }
    }

    /// Reads and checks a metadata file (YAML or JSON; `-` is stdin).
    public static func read(file path: String) throws(GovernanceError) -> ReportMetadata {
        try parse(try DocumentFile.read(path, what: "metadata file", limit: maxFileBytes, purpose: "a report metadata file"), source: path)
    }

    /// The file's format: a mapping of `system_name`, `system_version`, `provider`, `deployer` and
    /// `sign_off` (`name` required; `role`, `date`, `statement`), every value a string. A statement
    /// is one paragraph: a plain or quoted scalar may span lines (YAML folds them into spaces),
    /// and a block scalar (`|`, `>`), which keeps line breaks, is refused like any control character.
    public static func parse(_ bytes: [UInt8], source: String) throws(GovernanceError) -> ReportMetadata {
        let r = PolicyParser.Reader(source: source)
        do throws(GovernanceError) {
            let top = try r.mapping(try YAMLReader.read(bytes, limit: maxFileBytes), "", keys: keys)
            func text(_ members: [(String, DocumentNode)], _ key: String, _ path: String) throws(GovernanceError) -> String? {
                guard let node = members.first(where: { $0.0 == key })?.1 else { return nil }
                return try r.string(node, r.join(path, key))
            }
            var metadata = ReportMetadata(systemName: try text(top, "system_name", ""), systemVersion: try text(top, "system_version", ""),
                                          provider: try text(top, "provider", ""), deployer: try text(top, "deployer", ""))
            if let node = top.first(where: { $0.0 == "sign_off" })?.1 {
                let fields = try r.mapping(node, "sign_off", keys: signOffKeys)
                guard let name = try text(fields, "name", "sign_off") else { throw r.fail("sign_off.name", "is missing") }
                metadata.signOff = SignOff(name: name, role: try text(fields, "role", "sign_off"), date: try text(fields, "date", "sign_off"),
                                           statement: try text(fields, "statement", "sign_off"))
            }
            do { try metadata.validate() } catch { throw r.fail("", error.message) }
            return metadata
        } catch {
            throw GovernanceError(.invalidInput, error.message.hasPrefix(source) ? error.message : "\(source): \(error.message)",
                                  hint: "see docs/COMPLIANCE.md for the metadata file")
        }
    }

    /// Every field, null when not given.
    public var json: JSONValue {
        .object([
            ("system_name", .optional(systemName)),
            ("system_version", .optional(systemVersion)),
            ("provider", .optional(provider)),
            ("deployer", .optional(deployer)),
            ("sign_off", signOff?.json ?? .null),
        ])
    }

    /// The system fields that were given, labelled as the human formats show them.
    public var fields: [(String, String)] {
        [("System", systemName), ("System version", systemVersion), ("Provider", provider), ("Deployer", deployer)]
            .compactMap { label, value in value.map { (label, $0) } }
    }

    /// The sign-off's fields that were given, labelled; the statement is shown on its own.
    public var signOffFields: [(String, String)] {
        guard let s = signOff else { return [] }
        return [("Name", s.name), ("Role", s.role), ("Date", s.date)].compactMap { label, value in value.map { (label, $0) } }
    }
}

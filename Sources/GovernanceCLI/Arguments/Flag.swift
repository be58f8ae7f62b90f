import GovernanceCore

// How to declare flags (ripgrep's model: every flag defined once; the parser, the resolver,
// `--help`, the man pages and the completions come from the definitions):
//
//     static let limit: Flag<Int64> = .integer("limit", short: "n", "At most N", range: 1...1000)   // a definition
//     flags: [SharedFlags.agent.required,                     // a command's use of a shared flag
//             SharedFlags.session.requiredUnless(batch),      // relations name other flags, not strings
//             input.conflicts(with: inputHash, batch),
//             limit]                                          // a definition alone: optional, as defined
//     ... in the handler: try args[limit], try args.require(SharedFlags.agent)
//
// A definition says what the flag is (name, short form, value, documentation, environment
// fallback); a use says how one command takes it (required or not, relations, a summary of its
// own). Reading a flag the command does not declare throws an internal error: the handler of one
// command cannot silently read another's flag as nil.

/// The identity of a flag's (or an argument's) definition, shared by all its uses.
public final class FlagID: Sendable, Hashable {
    init() {}
    public static func == (a: FlagID, b: FlagID) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// Another flag of the same command, named in a relation.
public struct FlagReference: Sendable, Equatable {
    public let id: FlagID
    public let name: String
}

/// Whether a command needs a flag.
public enum Requirement: Sendable, Equatable {
    case optional
    case required
    /// Required unless one of these flags is given (`audit log --kind`, unless `--batch`).
    case requiredUnless([FlagReference])
}

/// One flag as one command takes it: its definition with that command's use applied. The parser,
/// the resolver, help, the man pages and the completions read this.
public struct FlagSpec: Sendable {
    public let id: FlagID
    public let name: String
    public let short: Character?
    /// The value's placeholder in help (`ID`, `FILE`); nil for a switch.
    public let valueName: String?
    public internal(set) var summary: String
    public internal(set) var doc: String
    public let kind: FlagKind
    public internal(set) var completion: CompletionKind
    /// May be given more than once (values accumulate); otherwise the last one wins.
    public internal(set) var repeatable: Bool
    /// Read when the flag is absent.
    public internal(set) var environment: EnvironmentVariable?
    /// The core resolves `environment` itself (`Configuration`), in its own order: the resolver
    /// only checks that a value there is well formed, and the flag's value is the command line's.
    public let environmentResolvedByCore: Bool
    /// The hint of the error when the flag is required and missing.
    public let missingHint: String?
    public internal(set) var requirement: Requirement
    /// Flags that cannot be given together with this one.
    public internal(set) var conflicts: [FlagReference]
    /// Flags that must be given when this one is.
    public internal(set) var requires: [FlagReference]

    public init(_ name: String, short: Character? = nil, kind: FlagKind, value: String? = nil, _ summary: String,
                doc: String = "", completion: CompletionKind? = nil, repeatable: Bool = false, environment: EnvironmentVariable? = nil,
                environmentResolvedByCore: Bool = false, missingHint: String? = nil) {
        id = FlagID()
        self.name = name
        self.short = short
        self.kind = kind
        self.valueName = kind.takesValue ? (value ?? kind.defaultValueName) : nil
        self.summary = summary
        self.doc = doc
        if let completion {
            self.completion = completion
        } else if case .choice = kind {
            self.completion = .choices
        } else {
            self.completion = kind == .path ? .file : .none
        }
        self.repeatable = repeatable
        self.environment = environment
        self.environmentResolvedByCore = environmentResolvedByCore
        self.missingHint = missingHint
        requirement = .optional
        conflicts = []
        requires = []
    }

    public var takesValue: Bool { kind.takesValue }

    public var choices: [String] {
        if case .choice(let list) = kind { return list }
        return []
    }

    public var isRequired: Bool { requirement != .optional }

    public var reference: FlagReference { FlagReference(id: id, name: name) }

    /// `-a, --agent ID` as shown in help.
    public var usage: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--" + name
        if let valueName { text += " " + valueName }
        return text
    }
}

/// Anything a command lists among its flags: a definition or a use of one.
public protocol FlagDeclaration: Sendable {
    var spec: FlagSpec { get }
}

/// A flag whose value has a Swift type: handlers read `args[flag]` with it.
public protocol TypedFlag<Value>: FlagDeclaration {
    associatedtype Value: Sendable
}

/// A flag's definition, made once (`static let`), with the type its value has once resolved.
public struct Flag<Value: Sendable>: TypedFlag {
    public let spec: FlagSpec
    init(_ spec: FlagSpec) { self.spec = spec }
}

/// One command's use of a flag: the definition's identity, with this command's requirement,
/// relations or wording. Made with the modifiers below (`SharedFlags.agent.required`).
public struct FlagUse<Value: Sendable>: TypedFlag {
    public let spec: FlagSpec
}

extension TypedFlag {
    func using(_ change: (inout FlagSpec) -> Void) -> FlagUse<Value> {
        var spec = spec
        change(&spec)
        return FlagUse(spec: spec)
    }

    public var required: FlagUse<Value> { using { $0.requirement = .required } }
    public var optional: FlagUse<Value> { using { $0.requirement = .optional } }
    /// Required unless one of `others` is given.
    public func requiredUnless(_ others: any FlagDeclaration...) -> FlagUse<Value> {
        using { $0.requirement = .requiredUnless(others.map(\.spec.reference)) }
    }
    /// Cannot be given together with any of `others`.
    public func conflicts(with others: any FlagDeclaration...) -> FlagUse<Value> {
        using { $0.conflicts += others.map(\.spec.reference) }
    }
    /// Needs each of `others` when given.
    public func requires(_ others: any FlagDeclaration...) -> FlagUse<Value> {
        using { $0.requires += others.map(\.spec.reference) }
    }
    /// This command's own wording of the flag.
    public func described(_ summary: String, doc: String = "") -> FlagUse<Value> {
        using {
            $0.summary = summary
            $0.doc = doc
        }
    }
    /// A filter of what is read: optional, in the command's wording, and never taken from the
    /// environment (so `audit verify` with GOVERNANCE_SESSION_ID exported still checks every chain).
    public func filter(_ summary: String) -> FlagUse<Value> {
        using {
            $0.summary = summary
            $0.doc = ""
            $0.environment = nil
            $0.requirement = .optional
        }
    }
    public func completing(_ completion: CompletionKind) -> FlagUse<Value> { using { $0.completion = completion } }
    /// May be given more than once (read with `args.all`).
    public var repeatable: FlagUse<Value> { using { $0.repeatable = true } }
}

extension Flag where Value == Bool {
    public static func toggle(_ name: String, short: Character? = nil, _ summary: String, doc: String = "") -> Flag<Bool> {
        Flag(FlagSpec(name, short: short, kind: .toggle, summary, doc: doc))
    }
}

extension Flag where Value == String {
    public static func text(_ name: String, short: Character? = nil, value: String? = nil, _ summary: String, doc: String = "",
                            completion: CompletionKind? = nil, environment: EnvironmentVariable? = nil,
                            environmentResolvedByCore: Bool = false, missingHint: String? = nil) -> Flag<String> {
        Flag(FlagSpec(name, short: short, kind: .text, value: value, summary, doc: doc, completion: completion,
                      environment: environment, environmentResolvedByCore: environmentResolvedByCore, missingHint: missingHint))
    }

    public static func path(_ name: String, short: Character? = nil, value: String = "PATH", _ summary: String, doc: String = "",
                            completion: CompletionKind = .file, environment: EnvironmentVariable? = nil,
                            environmentResolvedByCore: Bool = false) -> Flag<String> {
        Flag(FlagSpec(name, short: short, kind: .path, value: value, summary, doc: doc, completion: completion,
                      environment: environment, environmentResolvedByCore: environmentResolvedByCore))
    }

    public static func choice(_ name: String, short: Character? = nil, value: String? = nil, _ choices: [String], _ summary: String,
                              doc: String = "") -> Flag<String> {
        Flag(FlagSpec(name, short: short, kind: .choice(choices), value: value ?? name.uppercased(), summary, doc: doc))
    }

    /// An exact decimal, kept as its text for the core to convert (money is never a float).
    public static func decimal(_ name: String, value: String = "DECIMAL", _ summary: String, doc: String = "") -> Flag<String> {
        Flag(FlagSpec(name, kind: .decimal, value: value, summary, doc: doc))
    }
}

extension Flag where Value == Int64 {
    public static func integer(_ name: String, short: Character? = nil, value: String = "N", _ summary: String, doc: String = "",
                               range: ClosedRange<Int64>) -> Flag<Int64> {
        Flag(FlagSpec(name, short: short, kind: .integer(range), value: value, summary, doc: doc))
    }
}

extension Flag where Value == Timestamp {
    public static func time(_ name: String, value: String = "TIME", _ summary: String, doc: String = "") -> Flag<Timestamp> {
        Flag(FlagSpec(name, kind: .time, value: value, summary, doc: doc))
    }
}

extension Flag where Value == SessionID {
    public static func uuid(_ name: String, short: Character? = nil, value: String = "UUID", _ summary: String, doc: String = "",
                            completion: CompletionKind? = nil, environment: EnvironmentVariable? = nil, missingHint: String? = nil) -> Flag<SessionID> {
        Flag(FlagSpec(name, short: short, kind: .uuid, value: value, summary, doc: doc, completion: completion, environment: environment,
                      missingHint: missingHint))
    }
}

extension Flag where Value == JSONValue {
    public static func jsonObject(_ name: String, value: String = "JSON", _ summary: String, doc: String = "",
                                  maxBytes: Int = 1 << 20) -> Flag<JSONValue> {
        Flag(FlagSpec(name, kind: .jsonObject(maxBytes: maxBytes), value: value, summary, doc: doc, completion: .file))
    }
}

/// The SHA-256 (64 lowercase hex characters) of a `.content` flag's text, file or stdin.
public struct ContentDigest: Sendable, Equatable {
    public let hex: String
}

extension Flag where Value == ContentDigest {
    public static func content(_ name: String, value: String = "TEXT", _ summary: String, doc: String = "") -> Flag<ContentDigest> {
        Flag(FlagSpec(name, kind: .content, value: value, summary, doc: doc, completion: .file))
    }
}

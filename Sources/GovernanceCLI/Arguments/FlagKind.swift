import GovernanceCore

/// How a shell should complete a flag's value.
public enum CompletionKind: String, Sendable {
    case none, file, directory, choices
    /// A group or command name (`governance help <Tab>`).
    case command
    /// A group name (`governance man <Tab>`).
    case group
    /// An agent id from the store (`governance complete agents`); nothing when the store is unreachable.
    case agent
    /// A session id from the store (`governance complete sessions`).
    case session
    /// A pending approval request's id (`governance complete requests`).
    case request

    /// The `governance complete` kind of a value read from the store; nil for the others.
    var storeValues: String? {
        switch self {
        case .agent: "agents"
        case .session: "sessions"
        case .request: "requests"
        default: nil
        }
    }
}

/// What a flag's value is. The parser checks it before any command runs, with one error style,
/// and a handler reads the value already converted (`args[Log.kind]`), never a raw string.
public enum FlagKind: Sendable, Equatable {
    /// A switch: present or not.
    case toggle
    /// Free text (identifiers are checked again by the core, which owns their rules).
    case text
    /// A whole number within bounds.
    case integer(ClosedRange<Int64>)
    /// An exact decimal such as 0.50 (money is never a float).
    case decimal
    /// An RFC 3339 time or a date.
    case time
    /// A UUID (a session id).
    case uuid
    /// A file path.
    case path
    /// One of a fixed list.
    case choice([String])
    /// A JSON object: the text itself, `@FILE` or `-` (standard input), read at most `maxBytes`.
    case jsonObject(maxBytes: Int)
    /// Content to be hashed: text, `@FILE` or `-`; read as a stream, kept as its SHA-256.
    case content

    var takesValue: Bool { self != .toggle }

    /// The value's placeholder in help when the flag does not name one.
    var defaultValueName: String? {
        switch self {
        case .toggle: nil
        case .text: "TEXT"
        case .integer: "N"
        case .decimal: "DECIMAL"
        case .time: "TIME"
        case .uuid: "UUID"
        case .path: "PATH"
        case .choice: "CHOICE"
        case .jsonObject: "JSON"
        case .content: "TEXT"
        }
    }
}

/// A parsed configuration document (a policy or pricing file) before it is given meaning: scalars
/// keep their exact text, so numbers (money above all) are never read through a floating point.
public indirect enum DocumentNode: Sendable, Equatable {
    /// `plain` is false for quoted scalars: `"true"` is text, plain `true` is not.
    case scalar(String, plain: Bool)
    case sequence([DocumentNode])
    /// Keys are unique strings, in document order.
    case mapping([(String, DocumentNode)])

    public static func == (a: DocumentNode, b: DocumentNode) -> Bool {
        switch (a, b) {
        case (.scalar(let x, let px), .scalar(let y, let py)): return x == y && px == py
        case (.sequence(let x), .sequence(let y)): return x == y
        case (.mapping(let x), .mapping(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A JSON value as a document: numbers keep the text RFC 8785 gives them (exact for the
    /// integers and decimal strings the stored policies hold).
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .scalar("null", plain: true)
        case .bool(let b): self = .scalar(b ? "true" : "false", plain: true)
        case .number(let n): self = .scalar(JSONWriter.formatNumber(n), plain: true)
        case .string(let s): self = .scalar(s, plain: false)
        case .array(let elements): self = .sequence(elements.map(DocumentNode.init))
        case .object(let members): self = .mapping(members.map { ($0.0, DocumentNode($0.1)) })
        }
    }

    /// What the node is, for messages ("expected a mapping, got a sequence").
    public var typeName: String {
        switch self {
        case .scalar(let text, let plain):
            if plain, YAMLReader.isNullLike(text) { return "null" }
            return "a scalar"
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        }
    }
}

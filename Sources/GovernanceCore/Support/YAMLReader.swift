import CYAML

/// Reads a policy or pricing file (YAML, or JSON, which is YAML's flow syntax) into a
/// `DocumentNode` with libyaml's event parser. Configuration is hostile input, so the reader
/// refuses what a policy never needs: anchors and aliases (an alias bomb fails at its first
/// anchor), explicit tags, more than one document, documents over 1 MiB, nesting deeper than 64,
/// keys that are not strings, and duplicate keys.
public enum YAMLReader {
    public static let maxBytes = 1 << 20
    public static let maxDepth = 64

    /// Parses `bytes`; errors are `.invalidInput` and say where (line and column, 1-based).
    /// `limit` is larger only for a document known to be large (LiteLLM's price map).
    public static func read(_ bytes: [UInt8], limit: Int = maxBytes) throws(GovernanceError) -> DocumentNode {
        guard bytes.count <= limit else {
            throw .invalid("the document is \(bytes.count) bytes; the limit is \(byteSize(limit))")
        }
        // JSON is checked by the project's strict JSON parser first, so a JSON document is held to
        // JSON's rules (and its errors read as JSON errors); libyaml then keeps each number's text.
        if let first = bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }),
           first == UInt8(ascii: "{") {
            _ = try JSONParser.parse(bytes: bytes)
        }
        var result: Result<DocumentNode, GovernanceError> = .failure(.internalError("libyaml produced nothing"))
        bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                result = .failure(.internalError("libyaml could not start"))
                return
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            result = Result { () throws(GovernanceError) -> DocumentNode in try build(&parser) }
        }
        return try result.get()
    }

    private enum Frame {
        case sequence([DocumentNode])
        case mapping([(String, DocumentNode)], key: String?, keys: Set<[UInt8]>)
    }

    private static func build(_ parser: inout yaml_parser_t) throws(GovernanceError) -> DocumentNode {
        var stack: [Frame] = []
        var root: DocumentNode?
        var documents = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
                let context = parser.context.map { String(cString: $0) + ": " } ?? ""
                throw .invalid("invalid YAML at line \(parser.problem_mark.line + 1) column \(parser.problem_mark.column + 1): \(context)\(problem)")
            }
            defer { yaml_event_delete(&event) }
            let line = event.start_mark.line + 1
            func refuse(_ what: String) -> GovernanceError { .invalid("line \(line): \(what)") }

            var completed: DocumentNode?
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                continue
            case YAML_STREAM_END_EVENT:
                guard let root else { throw .invalid("the document is empty") }
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw refuse("more than one YAML document; put everything in one") }
                continue
            case YAML_ALIAS_EVENT:
                throw refuse("YAML aliases are not allowed in a policy")
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                if s.anchor != nil { throw refuse("YAML anchors are not allowed in a policy") }
                if s.tag != nil { throw refuse("YAML tags are not allowed in a policy") }
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                // Escapes like "\0" or "\x1b" could smuggle control characters into names.
                if text.unicodeScalars.contains(where: Identifier.isControl) { throw refuse("control characters are not allowed in a policy") }
                completed = .scalar(text, plain: s.style == YAML_PLAIN_SCALAR_STYLE)
            case YAML_SEQUENCE_START_EVENT:
                if event.data.sequence_start.anchor != nil { throw refuse("YAML anchors are not allowed in a policy") }
                if event.data.sequence_start.tag != nil { throw refuse("YAML tags are not allowed in a policy") }
                try enter(&stack, .sequence([]), refuse)
                continue
            case YAML_MAPPING_START_EVENT:
                if event.data.mapping_start.anchor != nil { throw refuse("YAML anchors are not allowed in a policy") }
                if event.data.mapping_start.tag != nil { throw refuse("YAML tags are not allowed in a policy") }
                try enter(&stack, .mapping([], key: nil, keys: []), refuse)
                continue
            case YAML_SEQUENCE_END_EVENT:
                guard case .sequence(let elements)? = stack.popLast() else { throw .internalError("unbalanced YAML sequence") }
                completed = .sequence(elements)
            case YAML_MAPPING_END_EVENT:
                guard case .mapping(let members, _, _)? = stack.popLast() else { throw .internalError("unbalanced YAML mapping") }
                completed = .mapping(members)
            default:
                continue
            }
            guard let node = completed else { continue }
            switch stack.popLast() {
            case nil:
                root = node
            case .sequence(var elements)?:
                elements.append(node)
                stack.append(.sequence(elements))
            case .mapping(var members, let key, var keys)?:
                if let key {
                    members.append((key, node))
                    stack.append(.mapping(members, key: nil, keys: keys))
                } else {
                    guard case .scalar(let text, let plain) = node else { throw refuse("a mapping key must be a string, not \(node.typeName)") }
                    if plain, isNullLike(text) || isBoolLike(text) || isNumberLike(text) {
                        throw refuse("the key \(quoted(text)) is not a string in YAML; quote it")
                    }
                    guard keys.insert(Array(text.utf8)).inserted else { throw refuse("duplicate key \(quoted(text))") }
                    stack.append(.mapping(members, key: text, keys: keys))
                }
            }
        }
    }

    private static func enter(_ stack: inout [Frame], _ frame: Frame, _ refuse: (String) -> GovernanceError) throws(GovernanceError) {
        guard stack.count < maxDepth else { throw refuse("nested deeper than \(maxDepth) levels") }
        stack.append(frame)
    }

    /// YAML's null forms for a plain scalar.
    static func isNullLike(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// YAML 1.1 booleans (libyaml's version), which a plain key would silently become.
    static func isBoolLike(_ text: String) -> Bool {
        ["true", "false", "yes", "no", "on", "off", "y", "n"].contains(text.lowercased())
    }

    /// Anything a YAML resolver could read as a number: a key like that must be quoted.
    static func isNumberLike(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        let lower = text.lowercased()
        if [".inf", "-.inf", "+.inf", ".nan"].contains(lower) { return true }
        return isDigit(first) || ((first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: "."))
            && text.utf8.dropFirst().first.map(isDigit) == true)
    }
}


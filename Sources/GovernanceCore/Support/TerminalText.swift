/// Text from a store or from a user, made safe to write to a terminal: every character that could
/// move the cursor, start an escape sequence, end a line or reorder text is shown as an escape.
/// Printable text, non-ASCII letters included, is left as it is.
public enum TerminalText {
    /// `\n`, `\r`, `\t`, `\\` for a backslash (so an escape in the output is never ambiguous),
    /// `\x1b` for other C0 controls and DEL, `\u{85}` for C1 controls, line and paragraph
    /// separators, and invisible characters (format and default-ignorable: bidirectional
    /// controls, zero-width spaces, fillers).
    public static func escaped(_ text: String) -> String { escaped(text, backslashes: true) }

    /// `backslashes: false` for text whose backslashes already escape something (JSON), so that
    /// `{"a":"say \"hi\""}` is shown as it is; controls are escaped all the same.
    public static func escaped(_ text: String, backslashes: Bool) -> String {
        var needs = false
        for scalar in text.unicodeScalars where mustEscape(scalar) && (backslashes || scalar != "\\") { needs = true; break }
        guard needs else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if !backslashes && scalar == "\\" { out.unicodeScalars.append(scalar) } else { append(scalar, to: &out) }
        }
        return out
    }

    /// For a value shown between double quotes: also `\"`.
    public static func escaped(_ text: String, quoting: Bool) -> String {
        let out = escaped(text)
        return quoting && out.contains("\"") ? out.replacing("\"", with: "\\\"") : out
    }

    /// The same for raw bytes that may not be valid UTF-8: an invalid byte is shown as `\xNN`.
    public static func escaped(bytes: some Collection<UInt8>) -> String {
        var out = ""
        var rest = Array(bytes)[...]
        while let first = rest.first {
            // One scalar at a time, so an invalid byte is shown and decoding resumes after it.
            var decoder = UTF8()
            var iterator = rest.makeIterator()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                append(scalar, to: &out)
                rest = rest.dropFirst(UTF8.width(scalar))
            } else {
                out += "\\x" + Hex.encode([first])
                rest = rest.dropFirst()
            }
        }
        return out
    }

    /// Text for a markup format (the report's HTML and Markdown): `markup` spells the characters
    /// the format gives a meaning to (nil for the rest); any other character a reader could be
    /// misled by is shown as `\u{...}`. A backslash is left as it is unless `markup` spells it.
    static func escaped(_ text: String, markup: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let spelt = markup(scalar) {
                out += spelt
            } else if scalar != "\\", mustEscape(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v < 0x20 || v == 0x5C || v == 0x7F }
        // Beyond the controls: every format character (zero-width spaces and joiners, soft hyphen,
        // bidirectional controls, tags) and every default-ignorable one (Hangul fillers, variation
        // selectors): each is invisible, so `billing\u{200b}-agent` would pass for `billing-agent`.
        return v <= 0x9F || v == 0x2028 || v == 0x2029
            || scalar.properties.generalCategory == .format || scalar.properties.isDefaultIgnorableCodePoint
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        guard mustEscape(scalar) else { out.unicodeScalars.append(scalar); return }
        switch scalar.value {
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0x09: out += "\\t"
        case 0x5C: out += "\\\\"
        case 0..<0x20, 0x7F: out += "\\x" + Hex.encode([UInt8(scalar.value)])
        default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
}

/// `text` in double quotes with JSON escapes: how the core names a value in a message, so a
/// hostile name stays one printable token. Longer than `limit` bytes, it is cut at a character
/// and its length follows (`"9999…" (1,000,000 bytes)`), so a message stays short whatever the input.
func quoted(_ text: String, limit: Int = 200) -> String {
    var out = ""
    let length = text.utf8.count
    guard length > limit else {
        JSONWriter.writeString(text, into: &out)
        return out
    }
    var prefix = "", kept = 0
    for scalar in text.unicodeScalars {
        kept += UTF8.width(scalar)
        if kept > limit { break }
        prefix.unicodeScalars.append(scalar)
    }
    JSONWriter.writeString(prefix + "…", into: &out)
    return out + " (\(grouped(length)) bytes)"
}


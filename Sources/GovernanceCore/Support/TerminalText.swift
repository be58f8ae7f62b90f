/// Text made safe for a terminal. Stored values may have been written by another version or by
/// hand, so anything that could act on a terminal (ESC sequences, a carriage return that hides
/// what came before, a newline that forges a line, a bidirectional override that reorders what
/// is shown) is written as a visible escape instead.
public enum TerminalText {
    /// `quoting`: also escape `"` and `\`, for a value shown between quotes.
    public static func escaped(_ text: String, quoting: Bool = false) -> String {
        guard needsEscaping(text, quoting: quoting) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x22 where quoting: out += "\\\""
            case 0x5C where quoting: out += "\\\\"
            case _ where isUnsafe(scalar.value):
                out += scalar.value < 0x100 ? "\\x" + hex(scalar.value, width: 2) : "\\u{" + hex(scalar.value, width: 4) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0 and C1 controls, DEL, line/paragraph separators and bidirectional formatting characters.
    @inline(__always) static func isUnsafe(_ v: UInt32) -> Bool {
        v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
            || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F || v == 0x061C
    }

    private static func needsEscaping(_ text: String, quoting: Bool) -> Bool {
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || byte >= 0xC2 { return true }
            if quoting && (byte == 0x22 || byte == 0x5C) { return true }
        }
        return false
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

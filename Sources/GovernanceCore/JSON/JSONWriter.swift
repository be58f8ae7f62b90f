/// Writes JSON text. `canonical` output is RFC 8785 (JSON Canonicalization Scheme): members sorted
/// by UTF-16 code units, ECMAScript number form, minimal escapes, no whitespace. The ordinary form
/// differs only in keeping members in the order they were built, which reads better in CLI output.
public enum JSONWriter {
    public static func canonical(_ value: JSONValue) -> String {
        var out = ""
        write(value, canonical: true, into: &out)
        return out
    }

    public static func ordered(_ value: JSONValue) -> String {
        var out = ""
        write(value, canonical: false, into: &out)
        return out
    }

    public static func write(_ value: JSONValue, canonical: Bool, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += formatNumber(n)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                write(element, canonical: canonical, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            let ordered = canonical ? members.sorted { $0.0.utf16.lexicographicallyPrecedes($1.0.utf16) } : members
            for (i, member) in ordered.enumerated() {
                if i > 0 { out += "," }
                writeString(member.0, into: &out)
                out += ":"
                write(member.1, canonical: canonical, into: &out)
            }
            out += "}"
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// RFC 8785 §3.2.2.2: escape `"`, `\` and the C0 controls (short forms where JSON has them,
    /// otherwise `\u00xx` in lowercase); every other character, U+2028 included, is written as is.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        var needsEscape = false
        for byte in s.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
        } else {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(s.utf8.count + 8)
            for byte in s.utf8 {
                switch byte {
                case 0x22: bytes += [0x5C, 0x22]
                case 0x5C: bytes += [0x5C, 0x5C]
                case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
                case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
                case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
                case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
                case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
                case 0x00..<0x20:
                    bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
                default: bytes.append(byte)
                }
            }
            out += String(decoding: bytes, as: UTF8.self)
        }
        out += "\""
    }

    /// ECMAScript Number.prototype.toString for a finite double (RFC 8785 §3.2.2.3), built from
    /// Swift's shortest round-trip digits.
    public static func formatNumber(_ value: Double) -> String {
        precondition(value.isFinite, "JSON numbers are finite")
        if value == 0 { return "0" }  // -0 too
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            return String(Int64(value))  // fast path: exact integers print as integers
        }
        // Swift prints the shortest digits that round-trip, e.g. "1.2345e-07" or "123.45".
        let text = String(abs(value))
        var digits: [UInt8] = []
        var pointPosition: Int? = nil
        var exponent = 0
        var iterator = text.utf8.makeIterator()
        while let c = iterator.next() {
            if c == UInt8(ascii: ".") {
                pointPosition = digits.count
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                var rest: [UInt8] = []
                while let d = iterator.next() { rest.append(d) }
                exponent = Int(String(decoding: rest, as: UTF8.self))!
                break
            } else {
                digits.append(c)
            }
        }
        // value = 0.d1d2...dk × 10^n, with n = (digits before the point) + exponent
        var n = (pointPosition ?? digits.count) + exponent
        while let first = digits.first, first == UInt8(ascii: "0") { digits.removeFirst(); n -= 1 }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let d = String(decoding: digits, as: UTF8.self)
        var result = value < 0 ? "-" : ""
        if k <= n && n <= 21 {
            result += d + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            result += String(d.prefix(n)) + "." + String(d.dropFirst(n))
        } else if -6 < n && n <= 0 {
            result += "0." + String(repeating: "0", count: -n) + d
        } else {
            let e = n - 1
            result += String(d.prefix(1))
            if k > 1 { result += "." + String(d.dropFirst(1)) }
            result += "e" + (e < 0 ? "-" : "+") + String(abs(e))
        }
        return result
    }
}

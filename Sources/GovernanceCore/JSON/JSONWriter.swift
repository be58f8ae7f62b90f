/// Writes JSON text. `canonical` output is RFC 8785 (JSON Canonicalization Scheme): members sorted
/// by UTF-16 code units, ECMAScript number form, minimal escapes, no whitespace. The ordinary form
/// differs only in keeping members in the order they were built, which reads better in CLI output.
public enum JSONWriter {
    public static func canonical(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        write(value, canonical: true, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func ordered(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        write(value, canonical: false, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func write(_ value: JSONValue, canonical: Bool, into out: inout [UInt8]) {
        switch value {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n): out += formatNumber(n).utf8
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, canonical: canonical, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let ordered = canonical && !isCanonicallyOrdered(members) ? members.sorted { utf16Precedes($0.0, $1.0) } : members
            for (i, member) in ordered.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.1, canonical: canonical, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// True when the keys are already in RFC 8785 order, as they usually are when a program wrote
    /// them: then nothing needs sorting.
    static func isCanonicallyOrdered(_ members: [(String, JSONValue)]) -> Bool {
        var i = 1
        while i < members.count {
            guard utf16Precedes(members[i - 1].0, members[i].0) else { return false }
            i += 1
        }
        return true
    }

    /// RFC 8785 §3.2.3: keys compare as arrays of UTF-16 code units. That is the order of their
    /// UTF-8 bytes except where a character of U+E000–U+FFFF (lead byte 0xEE or 0xEF) meets one
    /// beyond U+FFFF (lead byte 0xF0–0xF4), which UTF-16 writes as surrogates below U+E000; so the
    /// bytes decide unless the first difference involves such a lead byte.
    static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        let decided: Bool? = a.withUTF8 { x in
            b.withUTF8 { y in
                let n = min(x.count, y.count)
                var i = 0
                while i < n, x[i] == y[i] { i += 1 }
                if i == n { return x.count < y.count }
                // The lead byte of the character that differs.
                var lead = i
                while lead > 0, x[lead] & 0xC0 == 0x80 { lead -= 1 }
                return x[lead] >= 0xEE || y[lead] >= 0xEE ? nil : x[i] < y[i]
            }
        }
        return decided ?? a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    /// A JSON string (RFC 8785 escaping; see `ByteCursor.writeJSONString`).
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        var copy = s
        let plain: Bool = copy.withUTF8 { bytes in
            guard !ByteCursor.needsEscaping(bytes) else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if !plain { out.appendWriting(capacity: ByteCursor.jsonStringCapacity(s)) { $0.writeJSONString(s) } }
    }

    /// The same, for callers assembling a String.
    public static func writeString(_ s: String, into out: inout String) {
        var copy = s
        if !copy.withUTF8(ByteCursor.needsEscaping) {
            out += "\""
            out += s
            out += "\""
        } else {
            var bytes: [UInt8] = []
            writeString(s, into: &bytes)
            out += String(decoding: bytes, as: UTF8.self)
        }
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

/// A session identifier: an RFC 4122 UUID, always held and written in lowercase.
public struct SessionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: String

    /// Accepts the 8-4-4-4-12 hexadecimal form in any case; nil for anything else.
    public init?(_ text: String) {
        var copy = text
        // nil: not a UUID; true: a UUID with an uppercase digit (checked without copying the bytes).
        let hasUppercase: Bool? = copy.withUTF8 { bytes in
            guard bytes.count == 36 else { return nil }
            var upper = false
            for i in 0..<36 {
                let b = bytes[i]
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard b == UInt8(ascii: "-") else { return nil }
                } else if hexDigitValue(b) == nil {
                    return nil
                } else if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F") {
                    upper = true
                }
            }
            return upper
        }
        guard let hasUppercase else { return nil }
        // Most ids arrive in lowercase already: keep the caller's string rather than make another.
        value = hasUppercase ? text.lowercased() : text
    }

    /// A fresh random (version 4) UUID.
    public static func random() throws(GovernanceError) -> SessionID {
        var b = try SecureRandom.bytes(16)
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        // Written as bytes: splitting a String into Characters cost 140,000 instructions a call,
        // and the MCP proxy makes one per tools/call.
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return SessionID(String(decoding: text, as: UTF8.self))!
    }

    public static func parse(_ text: String) throws(GovernanceError) -> SessionID {
        guard let id = SessionID(text) else {
            throw .invalid("invalid session id \(quoted(text, limit: 64)): expected a UUID like 5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90",
                           hint: "run `governance session new` to make one")
        }
        return id
    }

    public var description: String { value }
    public static func < (a: SessionID, b: SessionID) -> Bool { a.value < b.value }
}

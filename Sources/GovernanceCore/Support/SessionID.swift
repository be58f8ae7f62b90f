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
        let hex = Hex.encode(b)
        let u = Array(hex)
        let text = String(u[0..<8]) + "-" + String(u[8..<12]) + "-" + String(u[12..<16]) + "-" + String(u[16..<20]) + "-" + String(u[20..<32])
        return SessionID(text)!
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

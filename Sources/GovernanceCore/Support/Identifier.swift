/// The one check for identifiers (agent, kind, model, tool names, operators): not empty,
/// at most `maxBytes` UTF-8 bytes, and no control characters, so an identifier can never break a
/// line of output or steer a terminal.
public enum Identifier {
    /// C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
    @inline(__always) public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Agent ids, kinds, tool names and operators: 1-256 bytes.
    public static let maxBytes = 256

    /// Identifiers are equal when their UTF-8 bytes are, as in the store. Swift's `==` on String
    /// is canonical equivalence (NFC `café` equals NFD `cafe\u{301}`, KELVIN SIGN equals `K`),
    /// which would let a name the policy never listed pass as one it did.
    @inline(__always) public static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Whether `names` holds `name`, byte for byte.
    public static func contains(_ names: [String], _ name: String) -> Bool { names.contains { same($0, name) } }

    /// Throws an invalid-input error (exit 2) naming `field`; the offending character is shown
    /// escaped, never raw.
    public static func check(_ value: String, field: String, maxBytes: Int = Identifier.maxBytes) throws(GovernanceError) {
        let bytes = value.utf8.count
        guard bytes > 0 else { throw .invalid("\(field) must not be empty") }
        guard bytes <= maxBytes else {
            throw .invalid("\(field) is \(bytes) bytes (UTF-8); the limit is \(maxBytes) bytes")
        }
        var offset = 0
        for scalar in value.unicodeScalars {
            if isControl(scalar) {
                throw .invalid("\(field) contains the control character \(TerminalText.escaped(String(scalar))) at byte \(offset): \"\(TerminalText.escaped(value))\"",
                               hint: "identifiers may not hold control characters (C0, DEL, C1)")
            }
            offset += UTF8.width(scalar)
        }
    }
}

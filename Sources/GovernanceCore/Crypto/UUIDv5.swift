import COpenSSL

/// Name-based UUIDs (RFC 4122 §4.3, version 5: SHA-1 of the namespace's 16 bytes and the name).
/// SHA-1 here only derives a stable identifier; nothing relies on it for integrity.
public enum UUIDv5 {
    public static func make(namespace: SessionID, name: String) -> SessionID {
        var input = Array(namespace.value.utf8).filter { $0 != UInt8(ascii: "-") }.chunks2.map { hexByte($0.0, $0.1) }
        input += Array(name.utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        // The low-level context: OpenSSL 3's one-shot SHA1() fetches the digest through its
        // provider tables, which cost half of a `scope check` process.
        var context = SHA_CTX()
        SHA1_Init(&context)
        input.withUnsafeBufferPointer { _ = SHA1_Update(&context, $0.baseAddress, $0.count) }
        digest.withUnsafeMutableBufferPointer { _ = SHA1_Final($0.baseAddress, &context) }
        var b = Array(digest.prefix(16))
        b[6] = b[6] & 0x0F | 0x50
        b[8] = b[8] & 0x3F | 0x80
        let hex = Array(Hex.encode(b))
        return SessionID(String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-" + String(hex[16..<20]) + "-" + String(hex[20..<32]))!
    }

    private static func hexByte(_ high: UInt8, _ low: UInt8) -> UInt8 {
        hexDigitValue(high)! << 4 | hexDigitValue(low)!
    }
}

private extension Array where Element == UInt8 {
    /// Consecutive pairs: [a, b, c, d] → [(a, b), (c, d)].
    var chunks2: [(UInt8, UInt8)] {
        stride(from: 0, to: count - 1, by: 2).map { (self[$0], self[$0 + 1]) }
    }
}

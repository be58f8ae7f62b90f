import COpenSSL

/// Name-based UUIDs (RFC 4122 §4.3, version 5: SHA-1 of the namespace's 16 bytes and the name).
/// SHA-1 here only derives a stable identifier; nothing relies on it for integrity.
public enum UUIDv5 {
    public static func make(namespace: SessionID, name: String) -> SessionID {
        // Bytes throughout: the agent chain's id is derived on every enforcement call, and
        // slicing an array of Characters cost more than the hash.
        var input = [UInt8]()
        input.reserveCapacity(16 + name.utf8.count)
        var high: UInt8?
        for b in namespace.value.utf8 where b != UInt8(ascii: "-") {
            guard let value = hexDigitValue(b) else { continue }
            if let h = high { input.append(h << 4 | value); high = nil } else { high = value }
        }
        input += name.utf8
        var digest = [UInt8](repeating: 0, count: 20)
        // The low-level context: OpenSSL 3's one-shot SHA1() fetches the digest through its
        // provider tables, which cost half of a `scope check` process.
        var context = SHA_CTX()
        SHA1_Init(&context)
        input.withUnsafeBufferPointer { _ = SHA1_Update(&context, $0.baseAddress, $0.count) }
        digest.withUnsafeMutableBufferPointer { _ = SHA1_Final($0.baseAddress, &context) }
        digest[6] = digest[6] & 0x0F | 0x50
        digest[8] = digest[8] & 0x3F | 0x80
        let hex = Array(Hex.encode(digest.prefix(16)).utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (i, b) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { text.append(UInt8(ascii: "-")) }
            text.append(b)
        }
        return SessionID(String(decoding: text, as: UTF8.self))!
    }
}


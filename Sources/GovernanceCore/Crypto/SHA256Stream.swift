import COpenSSL

/// SHA-256 over input that arrives in pieces (a file or standard input hashed in constant memory).
public struct SHA256Stream {
    private var context = SHA256_CTX()

    public init() { SHA256_Init(&context) }

    public mutating func update(_ bytes: some Collection<UInt8>) { Digest.update(&context, bytes) }

    /// The digest as 64 lowercase hexadecimal characters.
    public mutating func finalizeHex() -> String { Hex.encode(Digest.finish(&context)) }
}

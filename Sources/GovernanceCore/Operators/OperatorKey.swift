import COpenSSL
import CSodium
import Glibc

/// An operator's Ed25519 key pair through libcrypto. Files are PEM (PKCS#8 private keys,
/// SubjectPublicKeyInfo public keys), so `openssl genpkey -algorithm ed25519` makes one too.
/// The private key file follows the secret-file rules: a regular file no other user can read.
public final class OperatorKey: @unchecked Sendable {
    private let key: OpaquePointer

    private init(_ key: OpaquePointer) { self.key = key }
    deinit { EVP_PKEY_free(key) }

    /// A new random key pair.
    public static func generate() throws(GovernanceError) -> OperatorKey {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw .internalError("cannot make an Ed25519 context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_keygen(ctx, &key) == 1, let key else {
            throw .internalError("Ed25519 key generation failed")
        }
        return OperatorKey(key)
    }

    /// Reads a private key file (PEM), refusing one that others may read.
    public static func load(privateKeyFile path: String) throws(GovernanceError) -> OperatorKey {
        let bytes: [UInt8]
        let status: FileSystem.Status
        do {
            (bytes, status) = try FileSystem.readRegularFile(path, limit: 16_384, what: "operator key file")
        } catch {
            throw .config(error.message, hint: "check --operator-key or GOVERNANCE_OPERATOR_KEY_FILE")
        }
        try AuditSecret.checkPermissions(path, status.permissions, what: "operator key file")
        guard let key = withBIO(bytes, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }), EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
            throw .config("the operator key file \(path) is not an Ed25519 private key in PEM",
                          hint: "make one with `governance operator keygen --out FILE`")
        }
        return OperatorKey(key)
    }

    /// The raw 32-byte public key of a PEM public key (or of a private key's PEM).
    public static func publicKey(pem bytes: [UInt8], source: String) throws(GovernanceError) -> [UInt8] {
        if let key = withBIO(bytes, { PEM_read_bio_PUBKEY($0, nil, nil, nil) }) {
            let wrapped = OperatorKey(key)
            guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else { throw .invalid("\(source) is not an Ed25519 public key") }
            return wrapped.publicKey
        }
        throw .invalid("\(source) is not an Ed25519 public key in PEM", hint: "`governance operator keygen` prints one")
    }

    /// The raw 32-byte public key.
    public var publicKey: [UInt8] {
        var length = 32
        var out = [UInt8](repeating: 0, count: 32)
        _ = EVP_PKEY_get_raw_public_key(key, &out, &length)
        return Array(out.prefix(length))
    }

    public var privateKeyPEM: String { pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) } }
    public var publicKeyPEM: String { pem { PEM_write_bio_PUBKEY($0, key) } }

    /// The Ed25519 signature of `message` (64 bytes).
    public func sign(_ message: [UInt8]) throws(GovernanceError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw .internalError("cannot make a signing context") }
        defer { EVP_MD_CTX_free(ctx) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1,
              EVP_DigestSign(ctx, &signature, &length, message, message.count) == 1 else {
            throw .internalError("Ed25519 signing failed")
        }
        return signature
    }

    /// Whether `signature` is `publicKey`'s Ed25519 signature of `message` (RFC 8032), through
    /// libsodium: the enforcement path verifies on every call, and libcrypto's EVP route would
    /// first build OpenSSL 3's provider name map, three times the cost of the check itself.
    /// A long-running caller does not verify the same signed policy again on every call:
    /// `SignedAction` remembers the key a document's signature was found valid under.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, publicKey.count == 32, sodiumReady else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }

    /// sodium_init once per process (thread-safe; -1 only when the library cannot start).
    private static let sodiumReady: Bool = sodium_init() >= 0

    private static func withBIO(_ bytes: [UInt8], _ body: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    private func pem(_ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

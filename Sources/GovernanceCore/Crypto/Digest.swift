import COpenSSL
import CSpawn
import Glibc

/// SHA-256 and HMAC-SHA256 on OpenSSL's libcrypto.
public enum Digest {
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var ctx = SHA256_CTX()
        SHA256_Init(&ctx)
        update(&ctx, bytes)
        return finish(&ctx)
    }

    public static func sha256Hex(_ text: String) -> String { Hex.encode(sha256(Array(text.utf8))) }

    static func update(_ ctx: inout SHA256_CTX, _ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            _ = SHA256_Update(&ctx, buffer.baseAddress, buffer.count)
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { _ = SHA256_Update(&ctx, $0.baseAddress, $0.count) }
        }
    }

    static func finish(_ ctx: inout SHA256_CTX) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { _ = SHA256_Final($0.baseAddress, &ctx) }
        return out
    }
}

/// A reusable HMAC-SHA256 key: the inner and outer pad states are computed once, so each MAC costs
/// two struct copies and the hashing of the message itself (the audit chain MACs every row).
public struct HMACKey: Sendable {
    private let inner: SHA256_CTX
    private let outer: SHA256_CTX

    public init(key: some Collection<UInt8>) {
        var keyBlock = key.count > 64 ? Digest.sha256(key) : Array(key)
        keyBlock += [UInt8](repeating: 0, count: 64 - keyBlock.count)
        var i = SHA256_CTX(), o = SHA256_CTX()
        SHA256_Init(&i)
        SHA256_Init(&o)
        Digest.update(&i, keyBlock.map { $0 ^ 0x36 })
        Digest.update(&o, keyBlock.map { $0 ^ 0x5c })
        inner = i
        outer = o
    }

    public func mac(_ message: some Collection<UInt8>) -> [UInt8] {
        var i = inner
        Digest.update(&i, message)
        let innerDigest = Digest.finish(&i)
        var o = outer
        Digest.update(&o, innerDigest)
        return Digest.finish(&o)
    }

    /// The MAC of `message` written to `out` (32 bytes), without allocating: the chain verifier
    /// calls this once per row.
    public func mac(_ message: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
        var partial = begin()
        partial.update(message)
        finish(partial, into: out)
    }

    /// Identifies the key without revealing it: its inner pad state, which differs for every key.
    var fingerprint: SIMD8<UInt32> { SIMD8(inner.h.0, inner.h.1, inner.h.2, inner.h.3, inner.h.4, inner.h.5, inner.h.6, inner.h.7) }

    /// A MAC whose message is hashed in parts, possibly on another thread (`PartialMAC`).
    public func begin() -> PartialMAC { PartialMAC(inner: inner, key: fingerprint) }

    /// Writes the MAC of everything `partial` has taken to `out` (32 bytes). `partial` must have
    /// been begun with this key.
    public func finish(_ partial: PartialMAC, into out: UnsafeMutablePointer<UInt8>) {
        precondition(partial.key == fingerprint, "a partial MAC begun with another key")
        var i = partial.inner
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { innerDigest in
            _ = SHA256_Final(innerDigest.baseAddress, &i)
            var o = outer
            _ = SHA256_Update(&o, innerDigest.baseAddress, 32)
            _ = SHA256_Final(out, &o)
        }
    }
}

/// The inner hash of an HMAC part-way through its message. The audit chain hashes the part of a
/// link known before its append on the batch's parsing thread, and the rest during the append.
public struct PartialMAC: Sendable {
    fileprivate var inner: SHA256_CTX
    /// The key it was begun with (`HMACKey.fingerprint`).
    let key: SIMD8<UInt32>

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        _ = SHA256_Update(&inner, bytes.baseAddress, bytes.count)
    }
}

public enum SecureRandom {
    /// Cryptographically strong random bytes from the kernel (getrandom(2), which blocks only until
    /// the pool is first seeded at boot). libcrypto's RAND_bytes was the same strength, but its
    /// first call loaded openssl.cnf and built a DRBG: a third of a short command's instructions.
    public static func bytes(_ count: Int) throws(GovernanceError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let failure = out.withUnsafeMutableBytes { governance_random_bytes($0.baseAddress, $0.count) }
        guard failure == 0 else { throw .internalError("the system random generator failed: \(String(cString: strerror(failure)))") }
        return out
    }
}

import GovernanceCore
import GovernanceTestSupport
import Testing

/// Operator keys are made and used for signing through libcrypto, and signatures are verified
/// through libsodium on the enforcement path: the two must agree on RFC 8032 Ed25519.
@Suite struct OperatorKeyTests {
    @Test func libcryptoSignaturesVerifyAndNothingElseDoes() throws {
        let key = try OperatorKey.generate()
        let other = try OperatorKey.generate()
        for length in [0, 1, 64, 1_000, 70_000] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let signature = try key.sign(message)
            #expect(OperatorKey.verify(signature: signature, message: message, publicKey: key.publicKey))
            #expect(!OperatorKey.verify(signature: signature, message: message, publicKey: other.publicKey), "another key")
            var flipped = signature
            flipped[length % 64] ^= 0x01
            #expect(!OperatorKey.verify(signature: flipped, message: message, publicKey: key.publicKey), "a changed signature")
            if length > 0 {
                var changed = message
                changed[length / 2] ^= 0x80
                #expect(!OperatorKey.verify(signature: signature, message: changed, publicKey: key.publicKey), "a changed message")
            }
        }
        #expect(!OperatorKey.verify(signature: [], message: [1], publicKey: key.publicKey))
        #expect(!OperatorKey.verify(signature: try key.sign([1]), message: [1], publicKey: Array(key.publicKey.prefix(31))))
    }

    /// Asked again and again (the proxy re-reads one signed policy per call), a success holds
    /// only for its own key, signature and message: every changed part is still refused.
    @Test func aRememberedSuccessAnswersOnlyForItsOwnTriple() throws {
        let key = try OperatorKey.generate()
        let other = try OperatorKey.generate()
        for round in 0..<100 {
            let message = Array("policy \(round)".utf8)
            let signature = try key.sign(message)
            for _ in 0..<2 {
                #expect(OperatorKey.verify(signature: signature, message: message, publicKey: key.publicKey))
                #expect(!OperatorKey.verify(signature: signature, message: message + [0], publicKey: key.publicKey))
                #expect(!OperatorKey.verify(signature: signature, message: message, publicKey: other.publicKey))
                var flipped = signature
                flipped[round % 64] ^= 0x40
                #expect(!OperatorKey.verify(signature: flipped, message: message, publicKey: key.publicKey))
            }
        }
    }

    /// The PEM round trip: the public key read back from its PEM is the key's.
    @Test func aPublicKeyReadsBackFromItsPEM() throws {
        let key = try OperatorKey.generate()
        #expect(try OperatorKey.publicKey(pem: Array(key.publicKeyPEM.utf8), source: "test") == key.publicKey)
        #expect(throws: GovernanceError.self) { try OperatorKey.publicKey(pem: Array(key.privateKeyPEM.utf8), source: "test") }
    }
}

/// An approval token (docs/GATES.md):
///
///     gt1.<request id>.<expires_at_us>.<action hash>.<mac>
///
/// `request id` is the request's lowercase UUID, `expires_at_us` the expiry in microseconds since
/// the Unix epoch (decimal), `action hash` the SHA-256 (lowercase hex) of the RFC 8785 form of
/// `{"agent":...,"kind":...,"payload":{...}}`, and `mac` is lowercase hex
/// HMAC-SHA256(gate_key, everything before the last dot). Only ASCII, so it survives any shell.
public struct GateToken: Sendable, Equatable {
    public static let prefix = "gt1"
    public static let maxLength = 256

    public let requestID: String
    public let expiresAt: Timestamp
    public let actionHash: String
    public let mac: String

    /// The signed part: everything before the MAC.
    public var signedPart: String { "\(Self.prefix).\(requestID).\(expiresAt.microseconds).\(actionHash)" }
    public var text: String { signedPart + "." + mac }

    public static func sign(requestID: String, expiresAt: Timestamp, actionHash: String, keys: PurposeKeys) -> GateToken {
        let unsigned = GateToken(requestID: requestID, expiresAt: expiresAt, actionHash: actionHash, mac: "")
        return GateToken(requestID: requestID, expiresAt: expiresAt, actionHash: actionHash,
                         mac: Hex.encode(HMACKey(key: keys.gateKey).mac(Array(unsigned.signedPart.utf8))))
    }

    /// Parses the form strictly, one spelling per token (no leading zeros); nil for anything else
    /// (the caller rejects it, exit 19).
    public static func parse(_ text: String) -> GateToken? {
        guard text.utf8.count <= maxLength else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == prefix, let id = SessionID(parts[1]), id.value == parts[1],
              !parts[2].isEmpty, parts[2].utf8.count <= 18, parts[2].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let expires = Int64(parts[2]), String(expires) == parts[2], Hex.isLowercaseHex(parts[3], length: 64), Hex.isLowercaseHex(parts[4], length: 64) else {
            return nil
        }
        return GateToken(requestID: id.value, expiresAt: Timestamp(microseconds: expires), actionHash: parts[3], mac: parts[4])
    }

    /// True when the MAC is the gate key's MAC of the signed part (compared in constant time).
    public func isAuthentic(keys: PurposeKeys) -> Bool {
        let expected = Array(GateToken.sign(requestID: requestID, expiresAt: expiresAt, actionHash: actionHash, keys: keys).mac.utf8)
        let given = Array(mac.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<expected.count { difference |= expected[i] ^ given[i] }
        return difference == 0
    }

    /// The SHA-256 the store keeps instead of the token.
    public static func storedHash(_ text: String) -> String { Digest.sha256Hex(text) }
}

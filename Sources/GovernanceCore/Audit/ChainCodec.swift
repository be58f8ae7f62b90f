/// Audit chain format v1 (docs/CHAIN.md): the canonical bytes of a link and its HMAC.
public enum ChainCodec {
    public static let version = 1
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The most bytes the canonical form of `r` can take (every string byte escaped).
    static func capacity(_ r: AuditRecord) -> Int {
        // Summed field by field: an array of the fields would cost an allocation per row.
        256 + Timestamp.iso8601Length + 20 + r.metadataJSON.utf8.count
            + ByteCursor.jsonStringCapacity(r.agentID) + ByteCursor.jsonStringCapacity(r.kind)
            + ByteCursor.jsonStringCapacity(r.prevHash) + ByteCursor.jsonStringCapacity(r.sessionID)
            + (r.model.map(ByteCursor.jsonStringCapacity) ?? 4) + (r.inputHash.map(ByteCursor.jsonStringCapacity) ?? 4)
            + (r.outputHash.map(ByteCursor.jsonStringCapacity) ?? 4)
    }

    /// Writes the RFC 8785 encoding of the link's object. The keys are fixed and ASCII, so their
    /// sorted order is written out directly; metadata is already canonical text, spliced in as
    /// stored. `cursor` must have room for `capacity(r)` bytes.
    public static func write(_ r: AuditRecord, to cursor: inout ByteCursor) {
        cursor.write(#"{"agent_id":"#)
        cursor.writeJSONString(r.agentID)
        cursor.write(#","created_at":""#)
        r.createdAt.write(to: &cursor)
        cursor.write(#"","input_hash":"#)
        writeOptional(r.inputHash, to: &cursor)
        cursor.write(#","kind":"#)
        cursor.writeJSONString(r.kind)
        cursor.write(#","metadata":"#)
        cursor.writeUTF8(r.metadataJSON)
        cursor.write(#","model":"#)
        writeOptional(r.model, to: &cursor)
        cursor.write(#","output_hash":"#)
        writeOptional(r.outputHash, to: &cursor)
        cursor.write(#","prev_hash":"#)
        cursor.writeJSONString(r.prevHash)
        cursor.write(#","seq":"#)
        cursor.writeInteger(r.seq)
        cursor.write(#","session_id":"#)
        cursor.writeJSONString(r.sessionID)
        cursor.write(#","v":1}"#)
    }

    @inline(__always) private static func writeOptional(_ value: String?, to cursor: inout ByteCursor) {
        if let value { cursor.writeJSONString(value) } else { cursor.write("null") }
    }

    /// The canonical bytes as text.
    public static func canonical(_ r: AuditRecord) -> String {
        var out: [UInt8] = []
        out.appendWriting(capacity: capacity(r)) { write(r, to: &$0) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `hex(HMAC-SHA256(chain_key, canonical))`.
    public static func hmac(_ record: AuditRecord, key: HMACKey) -> String {
        var scratch: [UInt8] = []
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { mac in
            self.mac(record, key: key, scratch: &scratch, into: mac.baseAddress!)
            return Hex.encode(mac)
        }
    }

    /// Writes the MAC of the record to `out` (32 bytes), encoding into `scratch`, which the
    /// caller keeps so that a long walk allocates once.
    public static func mac(_ record: AuditRecord, key: HMACKey, scratch: inout [UInt8], into out: UnsafeMutablePointer<UInt8>) {
        let needed = capacity(record)
        if scratch.count < needed { scratch = [UInt8](repeating: 0, count: max(needed, 2 * scratch.count)) }
        scratch.withUnsafeMutableBufferPointer { buffer in
            var cursor = ByteCursor(buffer.baseAddress!)
            write(record, to: &cursor)
            key.mac(UnsafeBufferPointer(start: buffer.baseAddress, count: cursor.count), into: out)
        }
    }

    /// True when the record's stored hmac is the MAC of its contents (compared in constant time).
    public static func verify(_ record: AuditRecord, key: HMACKey, scratch: inout [UInt8]) -> Bool {
        var stored = record.hmac
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { expected in
            mac(record, key: key, scratch: &scratch, into: expected.baseAddress!)
            return stored.withUTF8 { hex in
                guard hex.count == 64 else { return false }
                var difference: UInt8 = 0
                for i in 0..<32 {
                    difference |= hexDigit(expected[i] >> 4) ^ hex[2 * i]
                    difference |= hexDigit(expected[i] & 0xF) ^ hex[2 * i + 1]
                }
                return difference == 0
            }
        }
    }

    @inline(__always) private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }
}

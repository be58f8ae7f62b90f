/// Audit chain format v1 (docs/CHAIN.md): the canonical bytes of a link and its HMAC.
public enum ChainCodec {
    public static let version = 1
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The most bytes the canonical form of `r` can take (every string byte escaped).
    static func capacity(_ r: AuditRecord) -> Int {
        headCapacity(agentID: r.agentID, inputHash: r.inputHash, kind: r.kind, metadata: r.metadataJSON, model: r.model,
                     outputHash: r.outputHash) + tailCapacity(prevHash: r.prevHash, sessionID: r.sessionID)
    }

    /// Writes the RFC 8785 encoding of the link's object. The keys are fixed and ASCII, so their
    /// sorted order is written out directly; metadata is already canonical text, spliced in as
    /// stored. `cursor` must have room for `capacity(r)` bytes.
    public static func write(_ r: AuditRecord, to cursor: inout ByteCursor) {
        writeHead(agentID: r.agentID, createdAt: r.createdAt, inputHash: r.inputHash, kind: r.kind, metadata: r.metadataJSON,
                  model: r.model, outputHash: r.outputHash, to: &cursor)
        writeTail(prevHash: r.prevHash, seq: r.seq, sessionID: r.sessionID, to: &cursor)
    }

    // The canonical form in two parts, split before the value of `prev_hash`: the head holds every
    // field known when an event is validated, the tail the three that come from the chain's head
    // when it is appended (and session_id, which sorts after them).

    // Summed field by field: an array of the fields would cost an allocation per row.
    static func headCapacity(agentID: String, inputHash: String?, kind: String, metadata: String, model: String?, outputHash: String?) -> Int {
        160 + Timestamp.iso8601Length + metadata.utf8.count
            + ByteCursor.jsonStringCapacity(agentID) + ByteCursor.jsonStringCapacity(kind)
            + (model.map(ByteCursor.jsonStringCapacity) ?? 4) + (inputHash.map(ByteCursor.jsonStringCapacity) ?? 4)
            + (outputHash.map(ByteCursor.jsonStringCapacity) ?? 4)
    }

    static func tailCapacity(prevHash: String, sessionID: String) -> Int {
        96 + ByteCursor.jsonStringCapacity(prevHash) + ByteCursor.jsonStringCapacity(sessionID)
    }

    static func writeHead(agentID: String, createdAt: Timestamp, inputHash: String?, kind: String, metadata: String,
                          model: String?, outputHash: String?, to cursor: inout ByteCursor) {
        cursor.write(#"{"agent_id":"#)
        cursor.writeJSONString(agentID)
        cursor.write(#","created_at":""#)
        createdAt.write(to: &cursor)
        cursor.write(#"","input_hash":"#)
        writeOptional(inputHash, to: &cursor)
        cursor.write(#","kind":"#)
        cursor.writeJSONString(kind)
        cursor.write(#","metadata":"#)
        cursor.writeUTF8(metadata)
        cursor.write(#","model":"#)
        writeOptional(model, to: &cursor)
        cursor.write(#","output_hash":"#)
        writeOptional(outputHash, to: &cursor)
        cursor.write(#","prev_hash":"#)
    }

    static func writeTail(prevHash: String, seq: Int64, sessionID: String, to cursor: inout ByteCursor) {
        cursor.writeJSONString(prevHash)
        cursor.write(#","seq":"#)
        cursor.writeInteger(seq)
        cursor.write(#","session_id":"#)
        cursor.writeJSONString(sessionID)
        cursor.write(#","v":1}"#)
    }

    @inline(__always) private static func writeOptional(_ value: String?, to cursor: inout ByteCursor) {
        if let value { cursor.writeJSONString(value) } else { cursor.write("null") }
    }

    /// The MAC of the link `pending` will become, begun: its head hashed (`PendingEvent.beginChainMAC`).
    static func beginMAC(_ pending: PendingEvent, key: HMACKey) -> PartialMAC {
        let e = pending.event
        var partial = key.begin()
        let capacity = headCapacity(agentID: e.agentID, inputHash: e.inputHash, kind: e.kind, metadata: pending.metadata,
                                    model: e.model, outputHash: e.outputHash)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var cursor = ByteCursor(buffer.baseAddress!)
            writeHead(agentID: e.agentID, createdAt: pending.createdAt, inputHash: e.inputHash, kind: e.kind, metadata: pending.metadata,
                      model: e.model, outputHash: e.outputHash, to: &cursor)
            partial.update(UnsafeBufferPointer(start: buffer.baseAddress, count: cursor.count))
        }
        return partial
    }

    /// `hex(HMAC-SHA256(chain_key, canonical))` of a link whose head `partial` has hashed.
    static func finishMAC(_ partial: PartialMAC, prevHash: String, seq: Int64, sessionID: String, key: HMACKey) -> String {
        var partial = partial
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: tailCapacity(prevHash: prevHash, sessionID: sessionID)) { buffer in
            var cursor = ByteCursor(buffer.baseAddress!)
            writeTail(prevHash: prevHash, seq: seq, sessionID: sessionID, to: &cursor)
            partial.update(UnsafeBufferPointer(start: buffer.baseAddress, count: cursor.count))
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { mac in
            key.finish(partial, into: mac.baseAddress!)
            return Hex.encode(UnsafeBufferPointer(mac))
        }
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
                    difference |= Hex.digit(expected[i] >> 4) ^ hex[2 * i]
                    difference |= Hex.digit(expected[i] & 0xF) ^ hex[2 * i + 1]
                }
                return difference == 0
            }
        }
    }
}

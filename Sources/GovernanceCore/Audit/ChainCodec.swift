/// Audit chain format v1 (docs/CHAIN.md): the canonical bytes of a link and its HMAC.
public enum ChainCodec {
    public static let version = 1
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The RFC 8785 encoding of the link's object. The keys are fixed and ASCII, so their sorted
    /// order is written out directly; metadata is already canonical text and is spliced in.
    public static func canonical(sessionID: String, seq: Int64, agentID: String, kind: String, model: String?,
                                 inputHash: String?, outputHash: String?, metadataJSON: String,
                                 createdAt: Timestamp, prevHash: String) -> String {
        var out = "{\"agent_id\":"
        out.reserveCapacity(320 + metadataJSON.utf8.count)
        JSONWriter.writeString(agentID, into: &out)
        out += ",\"created_at\":\"" + createdAt.iso8601 + "\",\"input_hash\":"
        writeOptional(inputHash, into: &out)
        out += ",\"kind\":"
        JSONWriter.writeString(kind, into: &out)
        out += ",\"metadata\":" + metadataJSON + ",\"model\":"
        writeOptional(model, into: &out)
        out += ",\"output_hash\":"
        writeOptional(outputHash, into: &out)
        out += ",\"prev_hash\":"
        JSONWriter.writeString(prevHash, into: &out)
        out += ",\"seq\":\(seq),\"session_id\":"
        JSONWriter.writeString(sessionID, into: &out)
        out += ",\"v\":\(version)}"
        return out
    }

    public static func canonical(_ r: AuditRecord) -> String {
        canonical(sessionID: r.sessionID, seq: r.seq, agentID: r.agentID, kind: r.kind, model: r.model,
                  inputHash: r.inputHash, outputHash: r.outputHash, metadataJSON: r.metadataJSON,
                  createdAt: r.createdAt, prevHash: r.prevHash)
    }

    /// `hex(HMAC-SHA256(chain_key, canonical))`.
    public static func hmac(_ record: AuditRecord, key: HMACKey) -> String {
        key.macHex(canonical(record))
    }
}

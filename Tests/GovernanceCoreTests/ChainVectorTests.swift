import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// The vectors in ../shared/chain-vectors.json were computed by an independent RFC 8785
/// implementation; the codec must reproduce every canonical byte string and HMAC.
@Suite struct ChainVectorTests {
    struct Vectors: Decodable {
        struct Record: Decodable {
            let seq: Int64
            let agent_id: String
            let kind: String
            let model: String?
            let input_hash: String?
            let output_hash: String?
            let created_at: String
            let metadata_json: String
            let prev_hash: String
            let canonical_utf8: String
            let hmac: String
        }
        let secret: String
        let chain_key_hex: String
        let gate_key_hex: String
        let session_id: String
        let records: [Record]
    }

    static func load(_ path: String) throws -> Vectors {
        try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The committed copy always; the shared original too where it is laid beside the checkout.
    static var vectorFiles: [String] {
        let root = packageRoot()
        let shared = root + "/../shared/chain-vectors.json"
        return [root + "/docs/chain-vectors.json"] + (FileManager.default.fileExists(atPath: shared) ? [shared] : [])
    }

    @Test(arguments: vectorFiles)
    func reproducesEveryVector(path: String) throws {
        let vectors = try Self.load(path)
        let keys = try AuditSecret(value: vectors.secret, source: "vectors").keys
        #expect(Hex.encode(keys.chainKey) == vectors.chain_key_hex)
        #expect(Hex.encode(keys.gateKey) == vectors.gate_key_hex)
        let key = HMACKey(key: keys.chainKey)
        var previous = ChainCodec.genesisHash
        for v in vectors.records {
            let metadata = JSONWriter.canonical(try JSONParser.parse(v.metadata_json))
            let createdAt = try #require(Timestamp(parsing: v.created_at))
            #expect(createdAt.iso8601 == v.created_at)
            let record = AuditRecord(id: 0, sessionID: vectors.session_id, seq: v.seq, agentID: v.agent_id, kind: v.kind,
                                     model: v.model, inputHash: v.input_hash, outputHash: v.output_hash,
                                     metadataJSON: metadata, createdAt: createdAt, prevHash: v.prev_hash, hmac: "")
            #expect(ChainCodec.canonical(record) == v.canonical_utf8, "canonical bytes of seq \(v.seq)")
            #expect(Array(ChainCodec.canonical(record).utf8) == Array(v.canonical_utf8.utf8))
            #expect(ChainCodec.hmac(record, key: key) == v.hmac, "hmac of seq \(v.seq)")
            #expect(v.prev_hash == previous, "seq \(v.seq) links to the one before")
            previous = v.hmac
        }
    }

    @Test func committedCopyMatchesShared() throws {
        let files = Self.vectorFiles
        if files.count == 2 {
            #expect(try Data(contentsOf: URL(fileURLWithPath: files[0])) == Data(contentsOf: URL(fileURLWithPath: files[1])))
        }
        #expect(files.count >= 1)
    }

    /// docs/CHAIN.md shows the vectors; what it shows must be what the test checks.
    @Test func chainDocumentShowsTheVectors() throws {
        let doc = try String(contentsOfFile: packageRoot() + "/docs/CHAIN.md", encoding: .utf8)
        let vectors = try Self.load(packageRoot() + "/docs/chain-vectors.json")
        #expect(doc.contains(vectors.chain_key_hex))
        for record in vectors.records {
            #expect(doc.contains(record.hmac), "CHAIN.md shows the hmac of seq \(record.seq)")
        }
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let key = HMACKey(key: Array("Jefe".utf8))
        #expect(Hex.encode(key.mac(Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A key longer than the block is hashed first (RFC 4231 test case 6).
        let long = HMACKey(key: [UInt8](repeating: 0xAA, count: 131))
        #expect(Hex.encode(long.mac(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}

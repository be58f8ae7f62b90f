import Foundation
@testable import GovernanceCore
import GovernanceTestSupport
import Testing

/// The batch path's shortcuts must give exactly what the plain path gives: a MAC
/// begun on the parsing thread, chain heads read and written many sessions to a statement, the
/// JSON fast paths, and items freed on the producer's thread.
@Suite struct BatchAppendTests {
    static let key = HMACKey(key: testKeys.chainKey)

    /// Deterministic pseudo-random numbers, so a failure can be replayed.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Text mixing ASCII, characters JSON must escape, and characters of two, three and four UTF-8
    /// bytes, among them U+E000–U+FFFF and beyond U+FFFF, where UTF-16 order differs from UTF-8's.
    static func text(_ rng: inout Rng, maxLength: Int) -> String {
        let pieces = ["a", "Z", "0", "_", ".", "\"", "\\", "\n", "\u{01}", "\u{7f}", "é", "\u{2028}", "\u{d7ff}",
                      "\u{e000}", "\u{fffd}", "\u{ffff}", "\u{10000}", "😀", "\u{10ffff}", " "]
        return String((0..<rng.below(maxLength + 1)).map { _ in pieces[rng.below(pieces.count)] }.joined())
    }

    static func pendingEvent(_ rng: inout Rng, session: SessionID) throws -> PendingEvent {
        var members: [(String, JSONValue)] = []
        for _ in 0..<rng.below(12) {
            let value: JSONValue = switch rng.below(4) {
            case 0: .int(rng.below(1_000_000) - 500_000)
            case 1: .string(text(&rng, maxLength: 40))
            case 2: .bool(rng.below(2) == 0)
            default: .number(Double(rng.below(1000)) / 8)
            }
            members.append((text(&rng, maxLength: 6) + String(members.count), value))
        }
        let hash = { (rng: inout Rng) -> String? in rng.below(3) == 0 ? nil : Hex.encode((0..<32).map { _ in UInt8(rng.below(256)) }) }
        let event = AuditEventInput(sessionID: session, agentID: "agent-\(rng.below(1000))", kind: ["llm.call", "tool.call", "x"][rng.below(3)],
                                    model: rng.below(2) == 0 ? nil : "model-\(rng.below(9))", inputHash: hash(&rng), outputHash: hash(&rng),
                                    metadata: .object(members))
        return PendingEvent(event, metadata: try event.validated(),
                            createdAt: Timestamp(microseconds: 1_800_000_000_000_000 + Int64(rng.below(1 << 30))))
    }

    /// The link an append would make of `pending` after `prev`.
    static func record(_ pending: PendingEvent, seq: Int64, prev: String) -> AuditRecord {
        let e = pending.event
        return AuditRecord(id: 0, sessionID: e.sessionID.value, seq: seq, agentID: e.agentID, kind: e.kind, model: e.model,
                           inputHash: e.inputHash, outputHash: e.outputHash, metadataJSON: pending.metadata,
                           createdAt: pending.createdAt, prevHash: prev, hmac: "")
    }

    static func finished(_ pending: PendingEvent, seq: Int64, prev: String, key: HMACKey = key) -> String {
        ChainCodec.finishMAC(pending.chainMAC(for: key), prevHash: prev, seq: seq, sessionID: pending.event.sessionID.value, key: key)
    }

    /// Both sides are built from `ChainCodec.writeHead` and `writeTail`; ChainVectorTests pins
    /// those bytes to an independent implementation.
    @Test func aMACBegunAheadIsTheMACOfTheWholeLink() throws {
        var rng = Rng(state: 8)
        var prev = ChainCodec.genesisHash
        let session = try SessionID.random()
        // Heads of every length modulo the 64-byte block, so the split falls everywhere in a block.
        var splits = Set<Int>()
        for seq in Int64(1)...400 {
            var pending = try Self.pendingEvent(&rng, session: session)
            pending.beginChainMAC(key: Self.key)
            let whole = ChainCodec.hmac(Self.record(pending, seq: seq, prev: prev), key: Self.key)
            #expect(Self.finished(pending, seq: seq, prev: prev) == whole, "seq \(seq)")
            let head = ChainCodec.canonical(Self.record(pending, seq: seq, prev: prev)).utf8.count - prev.utf8.count
            splits.insert(head % 64)
            prev = whole
        }
        #expect(splits.count > 40, "the split fell in \(splits.count) of 64 places in a block")
        // A seq of every width, and the largest.
        let pending = try Self.pendingEvent(&rng, session: session)
        for seq in [Int64(1), 9, 10, 99_999, 1 << 40, Int64.max] {
            #expect(Self.finished(pending, seq: seq, prev: prev) == ChainCodec.hmac(Self.record(pending, seq: seq, prev: prev), key: Self.key))
        }
    }

    @Test func aMACBegunWithAnotherKeyIsNotUsed() throws {
        var rng = Rng(state: 9)
        var pending = try Self.pendingEvent(&rng, session: try SessionID.random())
        pending.beginChainMAC(key: HMACKey(key: Array("another-key-entirely-0123456789abcdef".utf8)))
        let whole = ChainCodec.hmac(Self.record(pending, seq: 1, prev: ChainCodec.genesisHash), key: Self.key)
        #expect(Self.finished(pending, seq: 1, prev: ChainCodec.genesisHash) == whole)
    }

    @Test func changingAnEventForgetsItsBegunMAC() throws {
        var rng = Rng(state: 10)
        let genesis = ChainCodec.genesisHash
        for change in 0..<4 {
            var pending = try Self.pendingEvent(&rng, session: try SessionID.random())
            pending.beginChainMAC(key: Self.key)
            switch change {
            case 0: pending.metadata = #"{"changed":true}"#
            case 1: pending.createdAt = Timestamp(microseconds: pending.createdAt.microseconds + 1)
            case 2: pending.event.agentID = "someone-else"
            default: pending.event.kind = "changed.kind"
            }
            let whole = ChainCodec.hmac(Self.record(pending, seq: 1, prev: genesis), key: Self.key)
            #expect(Self.finished(pending, seq: 1, prev: genesis) == whole, "change \(change)")
        }
    }

    @Test func hexMatchesAReferenceEncoder() {
        var rng = Rng(state: 11)
        for length in [0, 1, 2, 15, 16, 31, 32, 33, 64, 100] {
            let bytes = (0..<length).map { _ in UInt8(rng.below(256)) }
            let reference = bytes.map { String(format: "%02x", $0) }.joined()
            #expect(Hex.encode(bytes) == reference)
            #expect(bytes.withUnsafeBufferPointer { Hex.encode($0) } == reference, "from memory, \(length) bytes")
        }
        #expect(Hex.encode([0x00, 0x09, 0x0a, 0xf0, 0xff]) == "00090af0ff")
    }

    /// RFC 8785 orders keys by UTF-16 code units; the fast comparison must agree everywhere,
    /// above all where a character of U+E000–U+FFFF meets one beyond U+FFFF.
    @Test func canonicalKeyOrderIsUTF16Order() throws {
        var rng = Rng(state: 12)
        for _ in 0..<3000 {
            let a = Self.text(&rng, maxLength: 4), b = Self.text(&rng, maxLength: 4)
            #expect(JSONWriter.utf16Precedes(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
        }
        // The case that differs between UTF-8 and UTF-16 order, both ways round.
        #expect(JSONWriter.utf16Precedes("\u{10000}", "\u{e000}"))
        #expect(!JSONWriter.utf16Precedes("\u{e000}", "\u{10000}"))
        #expect(JSONWriter.canonical(.object([("\u{e000}", .int(1)), ("\u{10000}", .int(2)), ("a", .int(3))]))
                == "{\"a\":3,\"\u{10000}\":2,\"\u{e000}\":1}")
        // Objects whose keys arrive shuffled or already sorted encode the same.
        for _ in 0..<200 {
            var keys = Set<String>()
            for _ in 0..<rng.below(9) { keys.insert(Self.text(&rng, maxLength: 3)) }
            let sorted = keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            var shuffled = sorted
            for i in shuffled.indices.reversed() where i > 0 { shuffled.swapAt(i, rng.below(i + 1)) }
            // Each value is its key's place in the sorted order.
            let expected = "{" + sorted.enumerated().map { place, key in
                var out: [UInt8] = []
                JSONWriter.writeString(key, into: &out)
                return String(decoding: out, as: UTF8.self) + ":\(place)"
            }.joined(separator: ",") + "}"
            let object = { (order: [String]) in JSONValue.object(order.map { ($0, .int(sorted.firstIndex(of: $0)!)) }) }
            #expect(JSONWriter.canonical(object(shuffled)) == expected)
            #expect(JSONWriter.canonical(object(sorted)) == expected)
        }
    }

    @Test func integersParseAsTheLibraryParsesThem() throws {
        var rng = Rng(state: 13)
        var literals = ["0", "-0", "7", "-7", "999999999999999", "-999999999999999", "100000000000000", "1234567890123456",
                        "9007199254740991", "-9007199254740991", "0.5", "1e3", "-12.25E-2"]
        for _ in 0..<500 {
            let digits = 1 + rng.below(15)
            var literal = String(1 + rng.below(9)) + String((1..<digits).map { _ in Character(String(rng.below(10))) })
            if rng.below(2) == 0 { literal = "-" + literal }
            literals.append(literal)
        }
        for literal in literals {
            guard case .number(let parsed) = try JSONParser.parse(literal) else {
                Issue.record("\(literal) did not parse as a number")
                continue
            }
            let reference = try #require(Double(literal))
            #expect(parsed == reference && parsed.sign == reference.sign, "\(literal)")
        }
        #expect(throws: GovernanceError.self) { try JSONParser.parse("9007199254740992") }
        #expect(throws: GovernanceError.self) { try JSONParser.parse("01") }
        #expect(throws: GovernanceError.self) { try JSONParser.parse("-") }
    }

    @Test func sessionIDsAreHeldInLowercase() throws {
        let lower = "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90"
        #expect(SessionID(lower)?.value == lower)
        #expect(SessionID(lower.uppercased())?.value == lower)
        #expect(SessionID("5F0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90")?.value == lower)
        for bad in ["", "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a9", "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a9g", "5f0c6e2a+9b1d-4c8e-a7f3-2d6b8e4c1a90",
                    "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90 ", "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1aé"] {
            #expect(SessionID(bad) == nil, "\(bad)")
        }
    }

    /// More sessions than one statement reads or writes (50) or locks (100 on PostgreSQL), and
    /// counts that leave partial statements and transactions; twice, so the second batch reads
    /// heads that exist. Every chain verifies, and the head table and the report agree with it.
    @Test(arguments: Backend.allCases)
    func aBatchOverManySessionsChainsEachOne(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let home = try makeTemporaryDirectory()
        let recorder = AuditRecorder(spool: AuditSpool(home: home, configuration: Configuration(store: try db.location, home: home)),
                                     keys: testKeys, requireDurable: false) { store }
        let sessions = try (0..<130).map { _ in try SessionID.random() }
        var expected: [String: Int64] = [:]
        for (round, count) in [1_234, 777].enumerated() {
            var lines = ""
            for i in 0..<count {
                let session = sessions[(i * 7 + round) % sessions.count].value
                expected[session, default: 0] += 1
                lines += #"{"session_id":"\#(session)","agent_id":"a\#(i % 5)","kind":"k","metadata":{"i":\#(i),"r":\#(round)}}"# + "\n"
            }
            var chunks = [Array(lines.utf8)]
            let report = try AuditBatch(defaults: .init(), recorder: recorder).ingest { chunks.popLast() }
            #expect(report.appended == count && report.rejected.isEmpty && report.spooled == 0)
            #expect(Set(report.lastSeq.keys) == Set(sessions.map(\.value)))
            #expect(report.lastSeq == expected, "each session's last seq, after round \(round)")
        }
        let verification = try ChainVerifier(db: store.connection, keys: testKeys).verify()
        #expect(verification.ok && verification.rowsVerified == 2_011)
        var heads: [String: Int64] = [:]
        try store.connection.forEachRow("SELECT session_id, last_seq FROM governance_audit_sessions", []) { row in
            heads[try row.text(0)] = try row.int(1)
        }
        #expect(heads == expected)
    }

    /// A last link edited by hand stops the append (exit 20) instead of being chained onto, or
    /// overflowing the next seq.
    @Test(arguments: Backend.allCases)
    func aMalformedHeadStopsTheAppend(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        for edit in ["UPDATE governance_audit_events SET seq = 9223372036854775807 WHERE seq = 2",
                     "UPDATE governance_audit_events SET hmac = 'not-a-mac' WHERE seq = 2",
                     "UPDATE governance_audit_events SET seq = seq - 10 WHERE seq > 0"] {
            let session = try SessionID.random()
            for _ in 0..<2 { try log.append(AuditEventInput(sessionID: session, agentID: "a", kind: "k", metadata: .object([]))) }
            try db.rawConnection().execute(edit.replacingOccurrences(of: "WHERE", with: "WHERE session_id = '\(session.value)' AND"))
            let error = #expect(throws: GovernanceError.self, "\(edit)") {
                try log.append(AuditEventInput(sessionID: session, agentID: "a", kind: "k", metadata: .object([])))
            }
            #expect(error?.kind == .integrityFailure, "\(edit)")
            let count = try store.connection.queryFirst("SELECT COUNT(*) FROM governance_audit_events WHERE session_id = ?", [.text(session.value)])?.int(0)
            #expect(count == 2, "nothing appended after \(edit)")
        }
    }

    /// Items handed back are freed on the producer's thread, which is not the one that sets the
    /// pace of a batch.
    @Test func itemsHandedBackAreFreedOnTheProducersThread() throws {
        let consumer = pthread_self()
        let capacity = 2
        do {
            let producer = BackgroundProducer<FreedItem>(capacity: capacity) { send in
                for _ in 0..<20 { guard send(FreedItem()) else { return } }
            }
            var taken = 0
            while let item = try producer.next() {
                taken += 1
                producer.giveBack(item)
            }
            #expect(taken == 20)
        }
        // The last few may go with the producer itself, which its thread lets go of as it ends.
        var freed = FreedItem.lock.withLock { FreedItem.freedOn }
        for _ in 0..<500 where freed.count < 20 {
            usleep(10_000)
            freed = FreedItem.lock.withLock { FreedItem.freedOn }
        }
        #expect(freed.count == 20)
        // Exact to the design, not a statistic: the producer's last send waits until the queue has
        // room, so the consumer has taken item 20 - capacity and handed back every item before it;
        // that send frees them all on the producer's thread. Only the last capacity + 1 items may
        // be handed back after it (and go wherever the producer's end sends them).
        let onProducer = freed.filter { pthread_equal($0, consumer) == 0 }.count
        #expect(onProducer >= 20 - (capacity + 1), "freed on the producer's thread: \(onProducer) of 20")
    }
}

/// Notes the thread it is freed on.
private final class FreedItem: @unchecked Sendable {
    static let lock = NSLock()
    nonisolated(unsafe) static var freedOn: [pthread_t] = []
    deinit { FreedItem.lock.withLock { FreedItem.freedOn.append(pthread_self()) } }
}

import GovernanceCore
import GovernanceTestSupport
import Testing

/// Appends, reads and verifies on each backend.
@Suite struct AuditStoreTests {
    static func event(_ session: SessionID, agent: String = "agent-1", kind: String = "llm.call",
                      metadata: JSONValue = .object([])) -> AuditEventInput {
        AuditEventInput(sessionID: session, agentID: agent, kind: kind, metadata: metadata)
    }

    @Test(arguments: Backend.allCases)
    func migrationsApplyOnceAndAreIdempotent(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let connection = try db.rawConnection()
        #expect(try Migrations.currentVersion(connection) == 0)
        // A store made by an older governance is brought forward step by step.
        #expect(try Migrations.migrate(connection, upTo: 1).map(\.version) == [1])
        #expect(try Migrations.currentVersion(connection) == 1)
        #expect(try Migrations.migrate(connection).map(\.version) == Migrations.all.map(\.version).filter { $0 >= 2 })
        #expect(try Migrations.migrate(connection).isEmpty)
        #expect(try Migrations.currentVersion(connection) == Migrations.latestVersion)
        let status = try StoreStatus.read(connection)
        #expect(status.events == 0 && status.sessions == 0)
    }

    @Test func postgresStoreRequiresMigrationFirst() throws {
        let db = try TestDatabase.make(.postgres)
        #expect {
            _ = try Store(location: try db.location, migration: .require)
        } throws: { error in
            (error as? GovernanceError).map { $0.exitCode == 3 && $0.recoveryHint?.contains("db migrate") == true } ?? false
        }
    }

    @Test(arguments: Backend.allCases)
    func appendsContiguousLinkedChainsPerSession(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let a = try SessionID.random(), b = try SessionID.random()
        var records: [AuditRecord] = []
        for i in 0..<5 {
            records.append(try log.append(Self.event(a, metadata: .object([("i", .int(i))]))))
            records.append(try log.append(Self.event(b, kind: "tool.call")))
        }
        let chainA = records.filter { $0.sessionID == a.value }
        #expect(chainA.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(chainA[0].prevHash == ChainCodec.genesisHash)
        for (prev, next) in zip(chainA, chainA.dropFirst()) { #expect(next.prevHash == prev.hmac) }

        var stored: [AuditRecord] = []
        try AuditQuery(db: store.connection).chain(a) { stored.append($0) }
        #expect(stored == chainA)
        #expect(stored[2].metadataJSON == #"{"i":2}"#)

        let report = try ChainVerifier(db: store.connection, keys: testKeys).verify()
        #expect(report.ok)
        #expect(report.rowsVerified == 10)
        #expect(report.sessions == 2)
    }

    @Test(arguments: Backend.allCases)
    func aDifferentSecretFailsVerification(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let session = try SessionID.random()
        try AuditLog(db: store.connection, keys: testKeys).append(Self.event(session))
        let otherKeys = PurposeKeys(secret: Array("a-completely-different-secret-0123456789".utf8))
        let report = try ChainVerifier(db: store.connection, keys: otherKeys).verify()
        #expect(report.failures.map(\.reason) == [.hmacMismatch])
        #expect(report.failures.first?.seq == 1)
    }

    @Test(arguments: Backend.allCases)
    func rangeVerificationAnchorsOnThePreviousLink(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        for _ in 0..<10 { try log.append(Self.event(session)) }
        let verifier = ChainVerifier(db: store.connection, keys: testKeys)
        let part = try verifier.verify(VerificationScope(sessionID: session, fromSeq: 4, toSeq: 7))
        #expect(part.ok)
        #expect(part.rowsVerified == 4)
        // Tampering outside the range is not seen; inside it is.
        try db.rawConnection().execute("UPDATE governance_audit_events SET kind = 'x' WHERE seq = 9")
        #expect(try verifier.verify(VerificationScope(sessionID: session, fromSeq: 4, toSeq: 7)).ok)
        #expect(try verifier.verify(VerificationScope(sessionID: session, fromSeq: 8)).failures.first?.seq == 9)
        #expect(throws: GovernanceError.self) { try verifier.verify(VerificationScope(sessionID: session, fromSeq: 7, toSeq: 4)) }
    }

    @Test(arguments: Backend.allCases)
    func eventFiltersAndLimit(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let s1 = try SessionID.random(), s2 = try SessionID.random()
        let t0 = Timestamp(microseconds: 1_800_000_000_000_000)
        for i in 0..<6 {
            let e = Self.event(i % 2 == 0 ? s1 : s2, agent: i < 3 ? "alpha" : "beta", kind: i % 3 == 0 ? "tool.call" : "llm.call")
            try log.append(e, at: Timestamp(microseconds: t0.microseconds + Int64(i) * 1_000_000))
        }
        func ids(_ filter: AuditFilter) throws -> [Int64] {
            var out: [Int64] = []
            try AuditQuery(db: store.connection).events(filter) { out.append($0.id) }
            return out
        }
        #expect(try ids(AuditFilter()).count == 6)
        #expect(try ids(AuditFilter(sessionID: s1)).count == 3)
        #expect(try ids(AuditFilter(agentID: "beta")).count == 3)
        #expect(try ids(AuditFilter(kind: "tool.call")).count == 2)
        #expect(try ids(AuditFilter(since: Timestamp(microseconds: t0.microseconds + 2_000_000),
                                    until: Timestamp(microseconds: t0.microseconds + 4_000_000))).count == 2)
        let all = try ids(AuditFilter())
        #expect(try ids(AuditFilter(limit: 2)) == Array(all.suffix(2)))
    }

    @Test(arguments: Backend.allCases)
    func invalidEventsWriteNothing(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random()
        let bad: [AuditEventInput] = [
            AuditEventInput(sessionID: session, agentID: "", kind: "k"),
            AuditEventInput(sessionID: session, agentID: String(repeating: "a", count: 257), kind: "k"),
            AuditEventInput(sessionID: session, agentID: "a", kind: String(repeating: "k", count: 257)),
            AuditEventInput(sessionID: session, agentID: "a", kind: "k", model: String(repeating: "m", count: 129)),
            AuditEventInput(sessionID: session, agentID: "a", kind: "k", inputHash: "ABC"),
            AuditEventInput(sessionID: session, agentID: "a", kind: "k", outputHash: String(repeating: "A", count: 64)),
            AuditEventInput(sessionID: session, agentID: "a", kind: "k", metadata: .array([])),
            AuditEventInput(sessionID: session, agentID: "a", kind: "k",
                            metadata: .object([("blob", .string(String(repeating: "x", count: 64 * 1024)))])),
        ]
        for event in bad {
            #expect(throws: GovernanceError.self) { try log.append(event) }
        }
        #expect(try StoreStatus.read(store.connection).events == 0)
        // The limits themselves are allowed.
        try log.append(AuditEventInput(sessionID: session, agentID: String(repeating: "a", count: 256), kind: "k",
                                       model: String(repeating: "m", count: 128)))
        #expect(try StoreStatus.read(store.connection).events == 1)
    }

    @Test(arguments: Backend.allCases)
    func unicodeAndEscapesRoundTripThroughTheStore(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let session = try SessionID.random()
        let metadata = try JSONParser.parse(#"{"s":"tab\t\u0001 \"q\" € \u2028","😀":[1.0,1e21,-0.0]}"#)
        let record = try AuditLog(db: store.connection, keys: testKeys)
            .append(AuditEventInput(sessionID: session, agentID: "agënt\u{2028}", kind: "k\"ind", metadata: metadata))
        var stored: [AuditRecord] = []
        try AuditQuery(db: store.connection).chain(session) { stored.append($0) }
        #expect(stored == [record])
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)
    }
}

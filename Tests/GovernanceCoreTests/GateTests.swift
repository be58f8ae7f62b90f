import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Approval tokens: each attack is refused with its exit code, audited, and leaves the request
/// unchanged. Both stores.
@Suite struct GateTests {
    static let bob = OperatorIdentity(name: "bob", osUser: "bob-os", host: "ops-host")
    static let alice = OperatorIdentity(name: "alice", osUser: "alice-os", host: "ops-host")

    struct Fixture {
        let db: TestDatabase
        let store: Store
        var connection: SQLConnection { store.connection }

        init(_ backend: Backend) throws {
            db = try TestDatabase.make(backend)
            store = try db.open()
        }

        func request(agent: String = "billing", payload: JSONValue = .object([("amount", .string("120.00"))]), ttl: Int64 = 3600,
                     at time: Timestamp = .now()) throws -> Gates.Issued {
            try Gates.request(connection, keys: testKeys, kind: "payment.send", agentID: agent, sessionID: nil, payload: payload,
                              ttl: ttl, at: time)
        }

        func stored(_ issued: Gates.Issued) throws -> GateRequest { try #require(try Gates.find(connection, requestID: issued.request.requestID)) }

        func events(_ kind: String) throws -> Int {
            Int(try connection.queryFirst("SELECT COUNT(*) FROM governance_audit_events WHERE kind = ?", [.text(kind)])?.int(0) ?? 0)
        }

        /// Runs a refused decision: the error's exit code, the request unchanged, one audit event more.
        func expectRefused(_ token: String, _ issued: Gates.Issued, exitCode: Int32, auditKind: String = "gate.token_rejected",
                           reason: String? = nil, by identity: OperatorIdentity = GateTests.bob, expectedRequestID: String? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
            let before = try stored(issued)
            let audited = try events(auditKind)
            do {
                try Gates.decide(connection, keys: testKeys, token: token, decision: .grant, by: identity, expectedRequestID: expectedRequestID)
                Issue.record("the grant was accepted", sourceLocation: sourceLocation)
            } catch let error as GovernanceError {
                #expect(error.exitCode == exitCode, "\(error.message)", sourceLocation: sourceLocation)
                if let reason {
                    #expect(error.details.first { $0.0 == "reason" }?.1 == .string(reason), "\(error.message)", sourceLocation: sourceLocation)
                }
            }
            #expect(try stored(issued) == before, "the request is unchanged", sourceLocation: sourceLocation)
            #expect(try events(auditKind) == audited + 1, "the refusal is audited", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Backend.allCases)
    func grantOnceThenWaitSeesIt(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request()
        #expect(issued.request.status == .pending)
        #expect(try f.stored(issued).tokenHash == Digest.sha256Hex(issued.token), "only the token's SHA-256 is stored")
        #expect(try f.connection.queryFirst("SELECT COUNT(*) FROM governance_gate_requests WHERE token_hash = ?", [.text(issued.token)])?.int(0) == 0)
        #expect(try Gates.wait(f.connection, requestID: issued.request.requestID, timeout: nil, noWait: true) == .pending(try f.stored(issued)))
        let granted = try Gates.decide(f.connection, keys: testKeys, token: issued.token, decision: .grant, by: Self.bob)
        #expect(granted.status == .granted)
        #expect(granted.decidedBy == "bob" && granted.decidedOSUser == "bob-os" && granted.decidedHost == "ops-host")
        guard case .granted = try Gates.wait(f.connection, requestID: issued.request.requestID, timeout: 1) else {
            Issue.record("expected granted")
            return
        }
        #expect(try f.events("gate.requested") == 1 && f.events("gate.granted") == 1)
        #expect(try ChainVerifier(db: f.connection, keys: testKeys).verify().ok)
    }

    /// The enforcement path's kill check, passed as `recheck`, ends a wait that is already blocked.
    @Test(arguments: Backend.allCases)
    func aKillEndsAWaitThroughItsRecheck(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request(agent: "release-bot")
        let db = f.db
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) {
            if let store = try? db.open() {
                _ = try? OperatorKill.kill(store.connection, keys: testKeys, agentID: "release-bot", reason: "halt", by: GateTests.bob)
            }
        }
        let connection = f.connection
        #expect {
            _ = try Gates.wait(connection, requestID: issued.request.requestID, timeout: 60) {
                if let marker = try KillMarkers.read(connection, agentID: "release-bot").marker { throw marker.error }
            }
        } throws: { ($0 as? GovernanceError)?.exitCode == 15 }
    }

    @Test(arguments: Backend.allCases)
    func denyEndsTheRequest(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request()
        let denied = try Gates.decide(f.connection, keys: testKeys, token: issued.token, decision: .deny, by: Self.bob, reason: "too much")
        #expect(denied.status == .denied && denied.reason == "too much")
        guard case .denied = try Gates.wait(f.connection, requestID: issued.request.requestID, timeout: 1) else {
            Issue.record("expected denied")
            return
        }
        try f.expectRefused(issued.token, issued, exitCode: 19, reason: "replayed")
    }

    @Test(arguments: Backend.allCases)
    func aFlippedSignatureByteIsRefused(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request()
        var bytes = Array(issued.token.utf8)
        bytes[bytes.count - 1] = bytes[bytes.count - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        try f.expectRefused(String(decoding: bytes, as: UTF8.self), issued, exitCode: 19, reason: "forged")
        // Any other field changed without the key: forged as well.
        let longer = issued.token.replacingOccurrences(of: ".\(issued.request.expiresAt.microseconds).",
                                                        with: ".\(issued.request.expiresAt.microseconds + 86_400_000_000).")
        try f.expectRefused(longer, issued, exitCode: 19, reason: "forged")
        try f.expectRefused("gt1.not-a-token", issued, exitCode: 19, reason: "malformed")
    }

    @Test(arguments: Backend.allCases)
    func aTokenForAnotherRequestIsRefused(backend: Backend) throws {
        let f = try Fixture(backend)
        let reviewed = try f.request(payload: .object([("amount", .string("1.00"))]))
        let other = try f.request(payload: .object([("amount", .string("9999.00"))]))
        // The operator reviewed one request; the token handed over is for the other.
        try f.expectRefused(other.token, other, exitCode: 19, reason: "mismatched", expectedRequestID: reviewed.request.requestID)
        #expect(try f.stored(reviewed).status == .pending)
        // A token re-pointed at another request (its request id swapped) fails its signature.
        let swapped = other.token.replacingOccurrences(of: other.request.requestID, with: reviewed.request.requestID)
        try f.expectRefused(swapped, reviewed, exitCode: 19, reason: "forged")
    }

    @Test(arguments: Backend.allCases)
    func aSecondGrantIsRefused(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request()
        try Gates.decide(f.connection, keys: testKeys, token: issued.token, decision: .grant, by: Self.bob)
        try f.expectRefused(issued.token, issued, exitCode: 19, reason: "replayed")
    }

    @Test(arguments: Backend.allCases)
    func aGrantAfterExpiryIsRefused(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request(ttl: 60, at: Timestamp(microseconds: Timestamp.now().microseconds - 120_000_000))
        try f.expectRefused(issued.token, issued, exitCode: 19, reason: "expired")
        guard case .expired = try Gates.wait(f.connection, requestID: issued.request.requestID, timeout: 5) else {
            Issue.record("an expired request is not waited for")
            return
        }
    }

    @Test(arguments: Backend.allCases)
    func aGrantAfterTheStoredActionWasEditedIsRefused(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request()
        // An attacker with database access raises the amount after the request was made.
        let raw = try f.db.rawConnection()
        try raw.execute("UPDATE governance_gate_requests SET payload = ? WHERE request_id = ?",
                        [.text(#"{"amount":"99999.00"}"#), .text(issued.request.requestID)])
        try f.expectRefused(issued.token, issued, exitCode: 19, reason: "tampered")
        // Editing the agent or the kind is caught the same way.
        let second = try f.request()
        try raw.execute("UPDATE governance_gate_requests SET agent_id = 'other-agent' WHERE request_id = ?", [.text(second.request.requestID)])
        try f.expectRefused(second.token, second, exitCode: 19, reason: "tampered")
    }

    @Test(arguments: Backend.allCases)
    func theAgentsOwnOperatorCannotGrant(backend: Backend) throws {
        let f = try Fixture(backend)
        let home = try makeTemporaryDirectory()
        let recorder = AuditRecorder(spool: AuditSpool(home: home, configuration: Configuration(store: try f.db.location, home: home)),
                                     keys: testKeys, requireDurable: false) { f.store }
        _ = try Presence.record(try Presence.event(.heartbeat, agentID: "billing", operator: "alice"), recorder: recorder)
        let issued = try f.request()
        try f.expectRefused(issued.token, issued, exitCode: 22, auditKind: "gate.self_approval_refused", by: Self.alice)
        // Nor the agent itself, as an operator of the same name (an operator is its registered key,
        // not a claimed name or an OS user).
        let agent = OperatorIdentity(name: "billing", osUser: "alice", host: "ops-host")
        try f.expectRefused(issued.token, issued, exitCode: 22, auditKind: "gate.self_approval_refused", by: agent)
        // Another operator may grant.
        #expect(try Gates.decide(f.connection, keys: testKeys, token: issued.token, decision: .grant, by: Self.bob).status == .granted)
    }

    /// Two operators grant the same token at the same moment: exactly one wins.
    @Test(arguments: Backend.allCases)
    func concurrentGrantsHaveOneWinner(backend: Backend) throws {
        let f = try Fixture(backend)
        let issued = try f.request()
        let outcomes = SweepResults()
        let group = DispatchGroup()
        let db = f.db
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                do {
                    let connection = try db.open().connection
                    try Gates.decide(connection, keys: testKeys, token: issued.token, decision: .grant, by: Self.bob)
                    outcomes.add(["won"])
                } catch let error as GovernanceError where error.exitCode == 19 {
                    outcomes.add(["refused"])
                } catch {
                    outcomes.fail("\(error)")
                }
            }
        }
        group.wait()
        #expect(outcomes.errors.isEmpty, "\(outcomes.errors)")
        #expect(outcomes.all.sorted() == ["refused", "refused", "refused", "won"])
        #expect(try f.events("gate.granted") == 1)
    }

    @Test func tokenFormatIsStrict() throws {
        let token = GateToken.sign(requestID: "5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90", expiresAt: Timestamp(microseconds: 1_800_000_000_000_000),
                                   actionHash: String(repeating: "a", count: 64), keys: testKeys)
        #expect(token.text.hasPrefix("gt1.5f0c6e2a-9b1d-4c8e-a7f3-2d6b8e4c1a90.1800000000000000.aaaa"))
        #expect(GateToken.parse(token.text) == token)
        #expect(token.isAuthentic(keys: testKeys))
        #expect(!token.isAuthentic(keys: PurposeKeys(secret: Array("another-secret-6d1f0b9a2c4e7385-xyz".utf8))))
        // The MAC is HMAC-SHA256(gate_key, everything before the last dot), in lowercase hex.
        #expect(token.mac == Hex.encode(HMACKey(key: testKeys.gateKey).mac(Array(token.signedPart.utf8))))
        for bad in [token.text.uppercased(), token.text + ".x", token.text.replacingOccurrences(of: "gt1.", with: "gt2."),
                    token.text.replacingOccurrences(of: ".1800000000000000.", with: ".-1."), "", String(repeating: "a", count: 300)] {
            #expect(GateToken.parse(bad) == nil, "\(bad)")
        }
    }
}

import GovernanceCore
import GovernanceTestSupport
import Testing

/// Each kind of tampering, on each backend, fails verification and names the first bad seq.
@Suite struct TamperTests {
    enum Tamper: String, CaseIterable, Sendable {
        case changedAgent, changedKind, changedMetadata, changedCreatedAt, changedModel, changedHmac
        case deletedRow, deletedLastRow, duplicatedSeq, editedPrevHash, movedToAnotherSession, movedToNewSession
    }

    struct Case: Sendable, CustomStringConvertible {
        let backend: Backend
        let tamper: Tamper
        var description: String { "\(backend) \(tamper)" }
    }

    static let cases = Backend.allCases.flatMap { b in Tamper.allCases.map { Case(backend: b, tamper: $0) } }

    /// A long chain with several bad rows: the first bad seq is named, the rows before it are
    /// counted as verified, and an earlier gap takes precedence over later changed rows.
    @Test(arguments: Backend.allCases)
    func firstFailureAcrossParallelBatches(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let session = try SessionID.random()
        try AuditLog(db: store.connection, keys: testKeys).append(batch: try (0..<9_000).map {
            try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: "a", kind: "k", metadata: .object([("i", .int($0))])))
        })
        let verifier = ChainVerifier(db: store.connection, keys: testKeys)
        let clean = try verifier.verify()
        #expect(clean.ok && clean.rowsVerified == 9_000)
        let raw = try db.rawConnection()
        let s = SQLValue.text(session.value)
        try raw.execute("UPDATE governance_audit_events SET kind = 'x' WHERE session_id = ? AND seq IN (7777, 8500, 3000)", [s])
        let three = try verifier.verify()
        #expect(three.failures.map(\.seq) == [3000])
        #expect(three.failures.first?.reason == .hmacMismatch)
        #expect(three.rowsVerified == 2_999)
        try raw.execute("DELETE FROM governance_audit_events WHERE session_id = ? AND seq = 2500", [s])
        let gap = try verifier.verify()
        #expect(gap.failures.map(\.seq) == [2500])
        #expect(gap.failures.first?.reason == .gap)
        try raw.execute("UPDATE governance_audit_events SET agent_id = 'y' WHERE session_id = ? AND seq = 2048", [s])
        #expect(try verifier.verify().failures.map(\.seq) == [2048])
    }

    @Test(arguments: cases)
    func tamperingIsDetected(c: Case) throws {
        let db = try TestDatabase.make(c.backend)
        let store = try db.open()
        let log = AuditLog(db: store.connection, keys: testKeys)
        let session = try SessionID.random(), other = try SessionID.random()
        for i in 1...8 {
            try log.append(AuditEventInput(sessionID: session, agentID: "agent", kind: "step", metadata: .object([("i", .int(i))])))
        }
        for _ in 1...3 { try log.append(AuditEventInput(sessionID: other, agentID: "agent", kind: "step")) }
        let verifier = ChainVerifier(db: store.connection, keys: testKeys)
        #expect(try verifier.verify().ok)

        let raw = try db.rawConnection()
        let s = SQLValue.text(session.value)
        let expected: (seq: Int64, reason: ChainFailureReason)
        switch c.tamper {
        case .changedAgent:
            try raw.execute("UPDATE governance_audit_events SET agent_id = 'mallory' WHERE session_id = ? AND seq = 3", [s])
            expected = (3, .hmacMismatch)
        case .changedKind:
            try raw.execute("UPDATE governance_audit_events SET kind = 'benign' WHERE session_id = ? AND seq = 5", [s])
            expected = (5, .hmacMismatch)
        case .changedMetadata:
            try raw.execute("UPDATE governance_audit_events SET metadata = '{\"i\":99}' WHERE session_id = ? AND seq = 2", [s])
            expected = (2, .hmacMismatch)
        case .changedCreatedAt:
            try raw.execute("UPDATE governance_audit_events SET created_at_us = created_at_us - 1 WHERE session_id = ? AND seq = 4", [s])
            expected = (4, .hmacMismatch)
        case .changedModel:
            try raw.execute("UPDATE governance_audit_events SET model = 'gpt-5' WHERE session_id = ? AND seq = 1", [s])
            expected = (1, .hmacMismatch)
        case .changedHmac:
            try raw.execute("UPDATE governance_audit_events SET hmac = ? WHERE session_id = ? AND seq = 8", [.text(String(repeating: "a", count: 64)), s])
            expected = (8, .hmacMismatch)
        case .deletedRow:
            try raw.execute("DELETE FROM governance_audit_events WHERE session_id = ? AND seq = 6", [s])
            expected = (6, .gap)
        case .deletedLastRow:
            try raw.execute("DELETE FROM governance_audit_events WHERE session_id = ? AND seq = 8", [s])
            expected = (8, .truncated)
        case .duplicatedSeq:
            // An attacker with DDL rights drops the uniqueness guard to fork the chain.
            try raw.execute("DROP INDEX governance_audit_events_session_seq")
            try raw.execute("""
                INSERT INTO governance_audit_events (session_id, seq, agent_id, kind, model, input_hash, output_hash, metadata, created_at_us, prev_hash, hmac)
                SELECT session_id, seq, agent_id, 'forked', model, input_hash, output_hash, metadata, created_at_us, prev_hash, hmac
                FROM governance_audit_events WHERE session_id = ? AND seq = 4
                """, [s])
            expected = (4, .duplicate)
        case .editedPrevHash:
            try raw.execute("UPDATE governance_audit_events SET prev_hash = ? WHERE session_id = ? AND seq = 7", [.text(String(repeating: "0", count: 64)), s])
            expected = (7, .brokenLink)
        case .movedToAnotherSession:
            try raw.execute("DROP INDEX governance_audit_events_session_seq")
            try raw.execute("UPDATE governance_audit_events SET session_id = ? WHERE session_id = ? AND seq = 2", [.text(other.value), s])
            expected = (2, .gap)
        case .movedToNewSession:
            let fresh = try SessionID.random()
            try raw.execute("UPDATE governance_audit_events SET session_id = ? WHERE session_id = ? AND seq = 5", [.text(fresh.value), s])
            expected = (5, .gap)
        }

        let all = try verifier.verify()
        #expect(!all.ok)
        let failure = try #require(all.failures.first { $0.sessionID == session.value })
        #expect(failure.seq == expected.seq, "\(failure)")
        #expect(failure.reason == expected.reason, "\(failure)")

        let one = try verifier.verify(VerificationScope(sessionID: session))
        #expect(one.failures.first?.seq == expected.seq)

        if c.tamper == .movedToAnotherSession {
            // The session that received the row fails too.
            #expect(all.failures.contains { $0.sessionID == other.value })
        }
        if c.tamper == .movedToNewSession {
            #expect(all.failures.count == 2)
        }
    }
}

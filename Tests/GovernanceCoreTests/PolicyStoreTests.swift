@testable import GovernanceCore
import GovernanceTestSupport
import Testing

/// Applying, listing, deleting and exporting policies on both stores.
@Suite struct PolicyStoreTests {
    static func document(_ text: String, source: String = "policy.yaml") throws -> PolicyDocument {
        try PolicyParser.parse(Array(text.utf8), source: source)
    }

    static func events(_ db: SQLConnection, kind: String) throws -> [SQLRow] {
        try db.query("SELECT agent_id, session_id, metadata FROM governance_audit_events WHERE kind = ? ORDER BY id", [.text(kind)])
    }

    static func storedRows(_ db: SQLConnection) throws -> [[SQLValue]] {
        try db.query("SELECT agent_id, policy, sha256, source, applied_at_us FROM governance_policies ORDER BY agent_id").map(\.values)
    }

    @Test(arguments: Backend.allCases)
    func severalFilesApplyInOneTransactionAndEachAgentIsAudited(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let policies = PolicyStore(db: store.connection)
        let a = try Self.document(PolicyFileTests.example, source: "a.yaml")
        let b = try Self.document("agents:\n  ops-agent:\n    scope: {allowed_tools: [restart]}\n  idle-agent: {}\n", source: "b.yaml")
        let applied = try policies.apply([a, b], keys: testKeys)
        #expect(applied.map(\.agentID) == ["billing-agent", "ops-agent", "idle-agent"])
        #expect(applied.allSatisfy { $0.changed })
        #expect(try policies.list().map(\.policy.agentID) == ["billing-agent", "idle-agent", "ops-agent"])
        #expect(try policies.policy(for: "billing-agent") == a.agents[0])
        #expect(try policies.stored("billing-agent")?.sha256 == a.agents[0].sha256)
        #expect(try policies.stored("billing-agent")?.source == "a.yaml")
        #expect(try policies.policy(for: "nobody") == nil)

        let audited = try Self.events(store.connection, kind: "policy.applied")
        #expect(audited.count == 3)
        let first = try JSONParser.parse(try audited[0].text(2))
        #expect(try audited[0].text(0) == "billing-agent")
        #expect(try audited[0].text(1) == AgentChain.sessionID(for: "billing-agent").value)
        #expect(first["sha256"] == .string(a.agents[0].sha256))
        #expect(first["source"] == .string("a.yaml"))
        #expect(try ChainVerifier(db: store.connection, keys: testKeys).verify().ok)

        // The same policy again is audited again but not a change.
        #expect(try policies.apply([a], keys: testKeys).map(\.changed) == [false])
    }

    @Test(arguments: Backend.allCases)
    func aBadFileOrAnAgentDefinedTwiceChangesNothing(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let policies = PolicyStore(db: store.connection)
        try policies.apply([try Self.document(PolicyFileTests.example)], keys: testKeys)
        let before = try Self.storedRows(store.connection)
        let eventsBefore = try store.connection.queryFirst("SELECT COUNT(*) FROM governance_audit_events")?.int(0)

        // Validation happens before the transaction: the first file is fine, the second is not.
        let good = "agents:\n  billing-agent:\n    scope: {allowed_tools: [everything]}\n"
        let badFiles = ["agents:\n  x:\n    budget: {per_session_usd: -1}\n", "agents:\n  x:\n    loop: {window_seconds: 1, max_calls: 0}\n",
                        "agents:\n  x:\n    scope: {allowed_apis: [\"GET https://a.com@evil.io/\"]}\n", "agents: &a {x: {}}\n"]
        for bad in badFiles {
            #expect(throws: GovernanceError.self) {
                _ = try policies.apply([try Self.document(good, source: "good.yaml"), try Self.document(bad, source: "bad.yaml")], keys: testKeys)
            }
        }
        // Both files valid, but one agent in both: refused, nothing stored.
        do {
            _ = try policies.apply([try Self.document(good, source: "one.yaml"), try Self.document(good, source: "two.yaml")], keys: testKeys)
            Issue.record("an agent defined twice was applied")
        } catch let error as GovernanceError {
            #expect(error.exitCode == 2 && error.message.contains("two.yaml") && error.message.contains("one.yaml"))
        }
        // A failure inside the transaction (an invalid audit event) rolls the policies back too.
        let huge = AgentPolicy(agentID: "billing-agent", scope: ScopePolicy(allowedTools: ["x"]))
        #expect(throws: GovernanceError.self) {
            _ = try policies.apply([PolicyDocument(source: String(repeating: "s", count: 70_000), agents: [huge])], keys: testKeys)
        }
        #expect(try Self.storedRows(store.connection) == before)
        #expect(try store.connection.queryFirst("SELECT COUNT(*) FROM governance_audit_events")?.int(0) == eventsBefore)
    }

    @Test(arguments: Backend.allCases)
    func deleteIsAuditedAndLeavesTheAgentWithNoPolicy(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let policies = PolicyStore(db: store.connection)
        let document = try Self.document(PolicyFileTests.example)
        try policies.apply([document], keys: testKeys)
        #expect(try policies.delete("billing-agent", keys: testKeys))
        #expect(try policies.delete("billing-agent", keys: testKeys) == false)
        #expect(try policies.policy(for: "billing-agent") == nil)
        let deleted = try Self.events(store.connection, kind: "policy.deleted")
        #expect(deleted.count == 1)
        #expect(try JSONParser.parse(try deleted[0].text(2))["sha256"] == .string(document.agents[0].sha256))
        #expect(throws: GovernanceError.self) { try policies.delete("", keys: testKeys) }
    }

    @Test(arguments: Backend.allCases)
    func exportRoundTripsThroughApplyUnchanged(backend: Backend) throws {
        let store = try TestDatabase.make(backend).open()
        let policies = PolicyStore(db: store.connection)
        try policies.apply([try Self.document(PolicyFileTests.example),
                            try Self.document("agents:\n  \"odd \\\"one\\\"\": {loop: {window_seconds: 5, max_calls: 2, action: log}}\n  plain: {}\n")],
                           keys: testKeys)
        let before = try policies.list()
        let yaml = try policies.exportYAML()
        let applied = try policies.apply([try PolicyParser.parse(Array(yaml.utf8), source: "export.yaml")], keys: testKeys)
        #expect(applied.allSatisfy { !$0.changed })
        #expect(try policies.list().map(\.policy) == before.map(\.policy))
        #expect(try policies.list().map(\.sha256) == before.map(\.sha256))
        #expect(try policies.exportYAML() == yaml)
    }

    @Test(arguments: Backend.allCases)
    func aHandEditedStoredPolicyIsCheckedAgainWhenRead(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let policies = PolicyStore(db: store.connection)
        try policies.apply([try Self.document(PolicyFileTests.example)], keys: testKeys)
        let raw = try db.rawConnection()
        try raw.execute("UPDATE governance_policies SET policy = ? WHERE agent_id = 'billing-agent'",
                        [.text(#"{"budget":{"per_session_usd":"-5"}}"#)])
        #expect { _ = try policies.policy(for: "billing-agent") } throws: { ($0 as? GovernanceError)?.exitCode == 20 }
        try raw.execute("UPDATE governance_policies SET policy = ? WHERE agent_id = 'billing-agent'", [.text("not json")])
        #expect { _ = try policies.policy(for: "billing-agent") } throws: { ($0 as? GovernanceError)?.exitCode == 20 }
    }

    /// The parsed policy and its checked signature are remembered in the process (a proxy reads
    /// the policy on every call); every read still checks the row and the operator as stored, so
    /// an edit after a good read is caught by the next one, and undoing it reads well again.
    @Test(arguments: Backend.allCases)
    func aPolicyReadWellIsCheckedAgainOnEveryLaterRead(backend: Backend) throws {
        // As in a long-running program (the others read with it on or off; both must hold).
        RememberedReads.enable()
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        let policies = PolicyStore(db: store.connection)
        try policies.apply([try Self.document(PolicyFileTests.example)], keys: testKeys)
        let agent = "billing-agent"
        #expect(try policies.verified(agent).policy != nil)
        #expect(try policies.verified(agent).policy != nil, "a second read of the same row")
        let raw = try db.rawConnection()
        let row = try #require(try raw.queryFirst("SELECT policy, document, signature FROM governance_policies WHERE agent_id = ?", [.text(agent)]))
        let (policy, document, signature) = (try row.text(0), try row.text(1), try row.text(2))
        let signer = try #require(try raw.queryFirst("SELECT name, public_key FROM governance_operators WHERE public_key = ?",
                                                    [.text(Hex.encode(try TestOperators.key("policy-admin").publicKey))]))
        let (name, publicKey) = (try signer.text(0), try signer.text(1))

        func refused(_ edit: String, _ values: [SQLValue], restore: String, _ restoreValues: [SQLValue]) throws {
            try raw.execute(edit, values)
            let read = try policies.verified(agent)
            #expect(read.policy == nil && read.ignored != nil, "\(edit): \(String(describing: read.ignored))")
            try raw.execute(restore, restoreValues)
            #expect(try policies.verified(agent).policy != nil, "undone: \(edit)")
        }
        // Another key under the signer's name: the remembered signature was checked under the old one.
        let other = Hex.encode(try OperatorKey.generate().publicKey)
        try refused("UPDATE governance_operators SET public_key = ? WHERE name = ?", [.text(other), .text(name)],
                    restore: "UPDATE governance_operators SET public_key = ? WHERE name = ?", [.text(publicKey), .text(name)])
        try refused("UPDATE governance_operators SET removed_at_us = 0 WHERE name = ?", [.text(name)],
                    restore: "UPDATE governance_operators SET removed_at_us = NULL WHERE name = ?", [.text(name)])
        // The policy text, the document and the signature, each changed by one character.
        let edited = policy + " "
        try refused("UPDATE governance_policies SET policy = ? WHERE agent_id = ?", [.text(edited), .text(agent)],
                    restore: "UPDATE governance_policies SET policy = ? WHERE agent_id = ?", [.text(policy), .text(agent)])
        let otherDocument = document.replacing("\"v\":1", with: "\"v\":2")
        #expect(otherDocument != document)
        try refused("UPDATE governance_policies SET document = ? WHERE agent_id = ?", [.text(otherDocument), .text(agent)],
                    restore: "UPDATE governance_policies SET document = ? WHERE agent_id = ?", [.text(document), .text(agent)])
        let flipped = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
        try refused("UPDATE governance_policies SET signature = ? WHERE agent_id = ?", [.text(flipped), .text(agent)],
                    restore: "UPDATE governance_policies SET signature = ? WHERE agent_id = ?", [.text(signature), .text(agent)])
    }
}

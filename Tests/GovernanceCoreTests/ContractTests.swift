import Foundation
import GovernanceCore
import GovernanceTestSupport
import Testing

/// Contracts in policies: parsed, stored, exported and read back; a stored contract that no longer
/// parses fails closed.
@Suite struct ContractTests {
    static let yaml = """
    agents:
      billing-agent:
        contracts:
          charge_customer:
            pre:
              - {check: hitl_approved, message: "Charges require \\"human\\" approval", params: {kind: charge.customer}}
              - {check: custom, message: "Ticket must be open", params: {command: ["/opt/checks/check-ticket.sh", "a b"], timeout_seconds: 5}}
              - {check: budget_available}
            post:
              - {check: audit_logged, message: "Charge must be audit-logged"}
    """

    @Test func contractsParseAndExportRoundTrips() throws {
        let document = try PolicyParser.parse(Array(Self.yaml.utf8), source: "p.yaml")
        let contract = try #require(document.agents[0].contract(for: "charge_customer"))
        #expect(contract.pre.map(\.check) == [.hitlApproved, .custom, .budgetAvailable])
        #expect(contract.pre[0].kind == "charge.customer" && contract.pre[0].message == "Charges require \"human\" approval")
        #expect(contract.pre[1].command == ["/opt/checks/check-ticket.sh", "a b"] && contract.pre[1].timeoutSeconds == 5)
        #expect(contract.pre[2].timeoutSeconds == ContractCondition.defaultTimeoutSeconds)
        #expect(contract.post.map(\.check) == [.auditLogged])
        let exported = PolicyYAML.emit(document.agents)
        #expect(try PolicyParser.parse(Array(exported.utf8), source: "export").agents == document.agents)
        let stored = try PolicyParser.stored(agentID: "billing-agent", canonicalJSON: document.agents[0].canonicalJSON)
        #expect(stored == document.agents[0])
    }

    @Test(arguments: Backend.allCases)
    func anUnknownCheckFoundInTheStoreFailsClosed(backend: Backend) throws {
        let db = try TestDatabase.make(backend)
        let store = try db.open()
        try PolicyStore(db: store.connection).apply([try PolicyParser.parse(Array(Self.yaml.utf8), source: "p.yaml")], keys: testKeys)
        // Edited by hand: the approval condition becomes one this version does not know.
        _ = try store.connection.execute("UPDATE governance_policies SET policy = REPLACE(policy, 'hitl_approved', 'trust_me')", [])
        let configuration = Configuration(store: try db.location, home: db.directory)
        let enforcer = Enforcer(configuration: configuration, keys: testKeys, openStore: { store })
        // Refused (closed) and audited: a policy edited by hand carries no valid operator signature.
        let result = try enforcer.contractCheck(agentID: "billing-agent", sessionID: try SessionID.random(), tool: "charge_customer", phase: .pre)
        guard case .denied(let error) = result.outcome else {
            Issue.record("a hand-edited policy was acted on")
            return
        }
        #expect(error.kind == .integrityFailure)
    }
}

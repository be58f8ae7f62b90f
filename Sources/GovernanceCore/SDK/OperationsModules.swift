extension Governance {
    /// `presence heartbeat | idle | close | list | sweep | kill | revive | status`.
    public struct Presence: Sendable {
        let governance: Governance

        /// `presence heartbeat`: the agent is Live; `operator` binds the operator who may not grant its
        /// requests. An observation (spooled when the store is unreachable).
        public func heartbeat(agentID: String, operator: String? = nil, metadata: JSONValue = .object([]),
                              requireDurable: Bool = false) throws -> Recorded {
            try record(.heartbeat, agentID: agentID, operator: `operator`, metadata: metadata, requireDurable: requireDurable)
        }

        /// `presence idle`.
        public func idle(agentID: String, requireDurable: Bool = false) throws -> Recorded {
            try record(.idle, agentID: agentID, requireDurable: requireDurable)
        }

        /// `presence close`.
        public func close(agentID: String, requireDurable: Bool = false) throws -> Recorded {
            try record(.close, agentID: agentID, requireDurable: requireDurable)
        }

        func record(_ change: GovernanceCore.Presence.Change, agentID: String, operator: String? = nil, metadata: JSONValue = .object([]),
                    requireDurable: Bool) throws -> Recorded {
            let event = try GovernanceCore.Presence.event(change, agentID: agentID, operator: `operator`, metadata: metadata)
            return try governance.recording([event], requireDurable: requireDurable,
                                            stateOnly: { try GovernanceCore.Presence.stateOnly(event, db: $0) })
        }

        /// `presence list`.
        public func list(limit: Int = 1000) throws -> [GovernanceCore.Presence.Agent] {
            try governance.reading { try GovernanceCore.Presence.list($0, limit: limit) }
        }

        /// `presence status` without the exit: the agent (nil when it never reported and was not killed).
        public func status(agentID: String) throws -> GovernanceCore.Presence.Agent? {
            try governance.reading { try GovernanceCore.Presence.agent($0, agentID: agentID) }
        }

        /// Whether a (signed) kill marker stops the agent: what the enforcement path reads.
        public func isKilled(agentID: String) throws -> Bool {
            try Identifier.check(agentID, field: "agent")
            return try governance.reading { try KillMarkers.read($0, agentID: agentID).marker != nil }
        }

        /// `presence status`'s exit: throws 15 (with who killed it and why) when the agent is killed.
        public func assertAlive(agentID: String) throws {
            try Identifier.check(agentID, field: "agent")
            if let marker = try governance.reading({ try KillMarkers.read($0, agentID: agentID).marker }) { throw marker.error }
        }

        /// `presence sweep`: marks agents silent for `timeout` seconds Unresponsive; returns those
        /// this sweep marked. Audited with `by` (default: the OS user), the OS user and the host.
        public func sweep(timeout: Int64 = GovernanceCore.Presence.defaultSweepTimeout, by name: String? = nil) throws -> [GovernanceCore.Presence.Swept] {
            let identity = try OperatorIdentity.current(claimed: name)
            return try governance.reading { db in
                let swept = try GovernanceCore.Presence.sweep(db, keys: governance.keys, timeout: timeout, by: identity)
                let now = Timestamp.now()
                _ = Notifier.deliver(swept.map { .unresponsive($0, at: now) }, db: db, environment: FileSystem.environment)
                return swept
            }
        }

        /// `presence kill`: every enforcement call of the agent is then refused (15), and a running
        /// step is stopped. Signed with the operator's key.
        @discardableResult
        public func kill(agentID: String, reason: String, by credential: OperatorCredential) throws -> KillMarker {
            let identity = try governance.signer(credential)
            return try governance.reading { db in
                let marker = try OperatorKill.kill(db, keys: governance.keys, agentID: agentID, reason: reason, by: credential, identity: identity)
                _ = Notifier.deliver([.killed(marker)], db: db, environment: FileSystem.environment)
                return marker
            }
        }

        /// `presence revive`: the marker removed, nil when the agent was not killed.
        @discardableResult
        public func revive(agentID: String, by credential: OperatorCredential) throws -> KillMarker? {
            let identity = try governance.signer(credential)
            return try governance.reading { try OperatorKill.revive($0, keys: governance.keys, agentID: agentID, by: credential, identity: identity) }
        }
    }

    /// `gates request | grant | deny | cancel | wait | list | show`.
    public struct Gates: Sendable {
        let governance: Governance

        /// `gates request`: a pending request and its token, or throws 15 for a killed agent.
        /// `step` binds it to one governed step (`gates request --tool T -- COMMAND...`), which a
        /// contract's `hitl_approved` in that step then requires; `actionDigest` binds a digest of
        /// your own (`contract check-pre --action-digest`).
        public func request(agentID: String, sessionID: SessionID? = nil, kind: String, payload: JSONValue = .object([]),
                            ttl: Int64 = GovernanceCore.Gates.defaultTTL, step: (tool: String, argv: [String])? = nil,
                            actionDigest: String? = nil) throws -> Checked<GovernanceCore.Gates.Issued> {
            var checked = try governance.enforcing {
                try $0.requestApproval(agentID: agentID, sessionID: sessionID, kind: kind, payload: payload, ttl: ttl,
                                       stepDigest: actionDigest, step: step)
            }
            if let issued = checked.value {
                checked.warnings += try governance.reading { Notifier.deliver([.requested(issued.request)], db: $0, environment: FileSystem.environment) }
            }
            return checked
        }

        /// `gates grant REQUEST_ID`: signed with the operator's key; refused (19) for an unknown,
        /// decided or expired request, 22 for the agent itself or its bound operator.
        @discardableResult
        public func grant(requestID: String, by credential: OperatorCredential) throws -> GateRequest {
            try decide(.grant, requestID: requestID, by: credential, reason: nil)
        }

        /// `gates deny REQUEST_ID [--reason]`.
        @discardableResult
        public func deny(requestID: String, by credential: OperatorCredential, reason: String? = nil) throws -> GateRequest {
            try decide(.deny, requestID: requestID, by: credential, reason: reason)
        }

        /// `gates cancel REQUEST_ID [--reason]`.
        @discardableResult
        public func cancel(requestID: String, by credential: OperatorCredential, reason: String? = nil) throws -> GateRequest {
            try decide(.cancel, requestID: requestID, by: credential, reason: reason)
        }

        func decide(_ decision: GovernanceCore.Gates.Decision, requestID: String, by credential: OperatorCredential,
                    reason: String?) throws -> GateRequest {
            let identity = try governance.signer(credential)
            return try governance.reading {
                try GovernanceCore.Gates.decide($0, keys: governance.keys, requestID: requestID, decision: decision, by: credential,
                                                identity: identity, reason: reason)
            }
        }

        /// `gates wait REQUEST_ID`: the granted request; otherwise throws what the command exits
        /// with, each audited by the enforcement path: 16 denied or cancelled, 17 timed out or
        /// expired, 18 pending under `noWait`, 15 killed (also while waiting); the request as it
        /// stands is in the error's details (`request`). `timeout` nil waits until the request
        /// expires. Runs on a thread and a connection of its own.
        public func wait(requestID: String, timeout: Double? = nil, noWait: Bool = false) async throws -> Checked<GateRequest> {
            let configuration = governance.configuration, keys = governance.keys
            return try await Governance.offPool {
                guard let id = SessionID(requestID) else { throw GovernanceError.invalid("invalid request id \(quoted(requestID)): expected a UUID") }
                let store = try Store.open(configuration, access: .read)
                guard let request = try GovernanceCore.Gates.find(store.connection, requestID: id.value) else {
                    throw GovernanceError.invalid("no approval request \(quoted(requestID))", hint: "`governance gates list` shows the requests")
                }
                let enforcer = Enforcer(configuration: configuration, keys: keys, openStore: { store })
                return try Checked(try enforcer.waitForApproval(request, timeout: timeout, noWait: noWait))
            }
        }

        /// `gates list [--pending]`.
        public func list(pendingOnly: Bool = false, limit: Int = 100) throws -> [GateRequest] {
            try governance.reading { try GovernanceCore.Gates.list($0, pendingOnly: pendingOnly, limit: limit) }
        }

        /// `gates show REQUEST_ID`: nil when there is no such request.
        public func show(requestID: String) throws -> GateRequest? {
            guard let id = SessionID(requestID) else { throw GovernanceError.invalid("invalid request id \(quoted(requestID)): expected a UUID") }
            return try governance.reading { try GovernanceCore.Gates.find($0, requestID: id.value) }
        }
    }

    /// `policy apply | list | show | delete`: the reference SDK's `scope.register` and `cost.register`.
    public struct Policy: Sendable {
        let governance: Governance

        /// `policy apply`: YAML or JSON policy documents, validated whole before anything is
        /// stored, signed with the operator's key.
        @discardableResult
        public func apply(_ document: String, source: String = "policy", by credential: OperatorCredential) throws -> [PolicyStore.Applied] {
            try apply([try PolicyParser.parse(Array(document.utf8), source: source)], by: credential)
        }

        @discardableResult
        public func apply(_ documents: [PolicyDocument], by credential: OperatorCredential) throws -> [PolicyStore.Applied] {
            let identity = try governance.signer(credential)
            return try governance.reading { try PolicyStore(db: $0).apply(documents, keys: governance.keys, by: credential, identity: identity) }
        }

        /// `policy diff` (and `apply --dry-run`): what applying the documents would change, against
        /// the signature-checked store; writes nothing.
        public func diff(_ documents: [PolicyDocument]) throws -> PolicyDiff {
            try governance.reading { db in
                let store = PolicyStore(db: db)
                return try PolicyDiff.compute(documents, stored: store.verified, storedAgents: try store.list().map(\.policy.agentID))
            }
        }

        /// `policy test`: decision cases (`PolicyTest.parse`) against the documents; no store is
        /// opened.
        public func test(_ cases: [PolicyTest.Case], against documents: [PolicyDocument]) throws -> PolicyTest.Report {
            try PolicyTest.run(cases, documents: documents)
        }

        /// `policy list`.
        public func list() throws -> [PolicyStore.Stored] {
            try governance.reading { try PolicyStore(db: $0).list() }
        }

        /// `policy show AGENT`: throws 11 when the agent has none.
        public func show(agentID: String) throws -> PolicyStore.Stored {
            guard let stored = try governance.reading({ try PolicyStore(db: $0).stored(agentID) }) else {
                throw GovernanceError(.noPolicy, "agent \(quoted(agentID)) has no policy", hint: "list the agents with `governance policy list`")
            }
            return stored
        }

        /// `policy delete AGENT`: throws 11 when the agent has none.
        public func delete(agentID: String, by credential: OperatorCredential) throws {
            let identity = try governance.signer(credential)
            guard try governance.reading({ try PolicyStore(db: $0).delete(agentID, keys: governance.keys, by: credential, identity: identity) }) else {
                throw GovernanceError(.noPolicy, "agent \(quoted(agentID)) has no policy; nothing was deleted",
                                      hint: "list the agents with `governance policy list`")
            }
        }
    }

    /// `operator add | list | remove`.
    public struct Operators: Sendable {
        let governance: Governance

        /// `operator add NAME`: the first operator of a store needs no signer; every later one
        /// is added by a registered operator (22 without).
        @discardableResult
        public func add(name: String, publicKey: [UInt8], by credential: OperatorCredential?) throws -> RegisteredOperator {
            try governance.reading { try GovernanceCore.Operators.add($0, keys: governance.keys, name: name, publicKey: publicKey, by: credential) }
        }

        /// `operator list`.
        public func list() throws -> [RegisteredOperator] {
            try governance.reading { try GovernanceCore.Operators.list($0) }
        }

        /// `operator remove NAME`.
        public func remove(name: String, by credential: OperatorCredential) throws {
            try governance.reading { try GovernanceCore.Operators.remove($0, keys: governance.keys, name: name, by: credential) }
        }

        /// The registered operator holding the private key in `keyFile` (`--operator-key`); 22
        /// when the key is not registered. A key held in memory is `OperatorCredential(name:key:)`.
        public func credential(keyFile: String) throws -> OperatorCredential {
            try governance.reading { try OperatorCredential.load(keyFile: keyFile, db: $0) }
        }
    }
}

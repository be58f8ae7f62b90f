import CSpawn
import Glibc

/// `governance mcp proxy`: an MCP client talks to this process over stdio as if it were the
/// server; the server runs as its contained child (`ChildProcess`, as `exec` runs a step).
/// - every `tools/call` goes through `execCheck` (kill switch, scope, budget, loop, contract
///   pre-conditions) before the server sees it; a refusal is answered with a tool result
///   `isError: true` naming the reason; an allowed call is audited (`tool.call`, `tool.result`)
///   and its contract's post-conditions checked before its result is passed on;
/// - a `tools/list` result keeps only the tools the agent's policy allows;
/// - every other message passes through unchanged, in order, both ways;
/// - a kill (read every 250 ms, and by every call) cancels the calls in flight and stops the
///   server (SIGTERM, SIGKILL after the grace period); later calls are refused.
public struct MCPProxyRequest: Sendable {
    public var agentID: String
    /// nil: the agent's own chain.
    public var sessionID: SessionID?
    /// The server's command and arguments.
    public var argv: [String]
    public var killGraceSeconds: Double
    public var failOpen: Bool
    /// The client's side of the transport.
    public var input: Int32
    public var output: Int32
    public var maxMessageBytes: Int
    /// How long a call that needs approval is held for a decision.
    public var approvalTimeoutSeconds: Double

    public init(agentID: String, sessionID: SessionID? = nil, argv: [String], killGraceSeconds: Double = 10, failOpen: Bool = false,
                input: Int32 = 0, output: Int32 = 1, maxMessageBytes: Int = MCPMessage.maxBytes, approvalTimeoutSeconds: Double = 300) {
        self.approvalTimeoutSeconds = approvalTimeoutSeconds
        self.agentID = agentID
        self.sessionID = sessionID
        self.argv = argv
        self.killGraceSeconds = killGraceSeconds
        self.failOpen = failOpen
        self.input = input
        self.output = output
        self.maxMessageBytes = maxMessageBytes
    }
}

/// How a proxied session ended.
public struct MCPProxyOutcome: Sendable {
    public enum End: Sendable, Equatable {
        /// The client closed its side and the server exited.
        case clientClosed
        /// An operator killed the agent: the server was stopped (exit 15).
        case killed
        /// The server ended while the client was still connected (a crash, or a signal the
        /// proxy forwarded to it).
        case serverEnded
        /// The server could not be started (127 not found, 126 not executable, 125 otherwise).
        case notStarted
    }

    public var end: End
    public var exitStatus: Int32
    public var calls: Int
    public var refused: Int
    /// What went wrong, for stderr (nil for a normal end).
    public var error: String?
}

extension Enforcer {
    /// Runs one proxied MCP session until the client closes its side, the server ends, or an
    /// operator kills the agent. `report` gets warnings and the malformed messages it saw (the
    /// core never prints); it may be called from any of the proxy's threads, one call at a time.
    public func proxyMCP(_ request: MCPProxyRequest, recorder: AuditRecorder? = nil,
                         report: @escaping (String) -> Void) throws -> MCPProxyOutcome {
        try Identifier.check(request.agentID, field: "agent")
        guard !request.argv.isEmpty else { throw GovernanceError.usage("give the server's command after --") }
        // The same policy and signatures are read on every call from now on.
        RememberedReads.enable()
        return MCPProxy(enforcer: self, request: request, recorder: recorder ?? self.recorder(), report: report).run()
    }
}

/// A pthread mutex and its condition.
final class MCPLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (the lock held) until `done` holds or `seconds` pass; returns whether it holds.
    func wait(seconds: Double? = nil, until done: () -> Bool) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let deadline = seconds.map { Timestamp.now().microseconds + Int64($0 * 1_000_000) }
        while !done() {
            if let deadline {
                let now = Timestamp.now().microseconds
                guard now < deadline else { return false }
                var at = timespec()
                clock_gettime(CLOCK_REALTIME, &at)
                let wake = Int64(at.tv_sec) * 1_000_000_000 + Int64(at.tv_nsec) + min(deadline - now, 100_000) * 1_000
                at.tv_sec = Int(wake / 1_000_000_000)
                at.tv_nsec = Int(wake % 1_000_000_000)
                pthread_cond_timedwait(condition, mutex, &at)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
        return true
    }

    func broadcast() { locked { pthread_cond_broadcast(condition) } }
}

/// One side of the transport the proxy writes to: whole messages, one writer at a time.
final class MCPWriter: @unchecked Sendable {
    private var fd: Int32
    private let lock = MCPLock()

    init(fd: Int32) { self.fd = fd }

    /// Writes `bytes` (a message and its newline); false when the other side is gone.
    @discardableResult
    func send(_ bytes: some Collection<UInt8>, newline: Bool = false) -> Bool {
        lock.locked {
            guard fd >= 0 else { return false }
            var message = Array(bytes)
            if newline { message.append(0x0A) }
            var written = 0
            while written < message.count {
                let n = message.withUnsafeBytes { write(fd, $0.baseAddress! + written, message.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
    }

    /// Closes the descriptor (the server's stdin: its end of input).
    func close() {
        lock.locked {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }
}

final class MCPProxy: @unchecked Sendable {
    private let enforcer: Enforcer
    private let request: MCPProxyRequest
    private let recorder: AuditRecorder
    private let reportLine: (String) -> Void
    private let session: SessionID
    private let clientOut: MCPWriter
    private var serverIn: MCPWriter!

    /// Guards the state below; `storeLock` serializes every use of the store (the enforcer's
    /// connection is one, shared by the threads); `reportLock` the report callback.
    private let state = MCPLock()
    private let storeLock = MCPLock()
    private let reportLock = MCPLock()

    struct Call {
        var tool: String
        var callID: String
        var callSeq: Int64?
        var requestID: JSONValue
        var started: Int64
        /// The tool's contract has post-conditions to check on the result.
        var postCheck = true
    }

    private var calls: [String: Call] = [:]
    private var lists: [String: JSONValue] = [:]
    /// Every other request passed on to the server and not answered yet: answered by the proxy
    /// if the server ends first.
    private var forwarded: [String: JSONValue] = [:]
    /// Calls held for an operator's approval (not yet passed on).
    private var held: [String: JSONValue] = [:]
    /// Calls the proxy ended itself (kill, cancellation): a late answer from the server is dropped.
    private var answered = Set<String>()
    private var killed = false
    private var stopRequested = false
    private var serverDone = false
    private var serverReaderDone = false
    private var clientClosed = false
    private var finished: ChildProcess.Finished?
    private var spawnFailure: ChildProcess.SpawnFailure?
    private var callCount = 0
    private var refusedCount = 0

    init(enforcer: Enforcer, request: MCPProxyRequest, recorder: AuditRecorder, report: @escaping (String) -> Void) {
        self.enforcer = enforcer
        self.request = request
        self.recorder = recorder
        self.reportLine = report
        self.session = AgentChain.resolve(request.sessionID, agentID: request.agentID)
        self.clientOut = MCPWriter(fd: request.output)
    }

    private func report(_ text: String) { reportLock.locked { reportLine(text) } }

    private func withStore<T>(_ body: () throws -> T) rethrows -> T { try storeLock.locked(body) }

    private func gone() -> Bool { state.locked { killed || serverDone } }

    func run() -> MCPProxyOutcome {
        // The signals the server's supervisor forwards are blocked in every thread of the proxy
        // (new threads inherit the mask), so that only the supervisor's sigtimedwait takes them.
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGTTOU] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }

        var toServer: [Int32] = [-1, -1], fromServer: [Int32] = [-1, -1]
        guard governance_pipe_cloexec(&toServer) == 0 else { return failed("cannot make a pipe to the server") }
        guard governance_pipe_cloexec(&fromServer) == 0 else {
            Glibc.close(toServer[0]); Glibc.close(toServer[1])
            return failed("cannot make a pipe from the server")
        }
        serverIn = MCPWriter(fd: toServer[1])

        let supervisor = spawnThread { [self] in
            var child = ChildProcess(argv: request.argv)
            child.stdinFD = toServer[0]
            // The server writes straight into the pipe its reader reads: no copy, no extra wake-up.
            child.stdoutFD = fromServer[1]
            child.killGraceSeconds = request.killGraceSeconds
            let watch = KillWatch(open: { [enforcer] in try enforcer.openStoreForWatch() }, agentID: request.agentID)
            child.shouldStop = { [self] in shouldStop(watch) }
            var ended: ChildProcess.Finished?
            var failure: ChildProcess.SpawnFailure?
            do throws(ChildProcess.SpawnFailure) { ended = try child.run() } catch { failure = error }
            if let warning = watch.warning { report(warning) }
            // The server's output is all in the pipe: its reader sees the end after it.
            Glibc.close(fromServer[1])
            Glibc.close(toServer[0])
            state.locked {
                finished = ended
                spawnFailure = failure
                serverDone = true
            }
            state.broadcast()
        }
        let reader = spawnThread { [self] in
            serverLoop(fd: fromServer[0])
            state.locked { serverReaderDone = true }
            state.broadcast()
        }
        guard supervisor, reader else { return failed("cannot start the proxy's threads") }

        clientLoop()
        let closedByClient = state.locked { clientClosed }
        // The server's end of input: an MCP server exits when its stdin closes.
        serverIn.close()
        if closedByClient, !state.wait(seconds: request.killGraceSeconds, until: { serverDone }) {
            report("the MCP server did not exit within \(Int(request.killGraceSeconds)) s of the client closing; it is being stopped")
            state.locked { stopRequested = true }
        }
        _ = state.wait { serverDone && serverReaderDone }
        Glibc.close(fromServer[0])

        // Calls the server never answered.
        let (left, ending) = state.locked { () -> ([Call], MCPEvents.Ending) in
            let left = Array(calls.values)
            calls = [:]
            // The client that left took its calls with it; otherwise the server failed them.
            return (left, killed ? .killed : (clientClosed ? .cancelled : .serverCrash))
        }
        for call in left {
            clientOut.send(MCPMessage.toolError(id: call.requestID, text: "the MCP server ended before it answered this call"))
            audit(result: call, ending: ending, isError: true, resultHash: nil)
        }
        answerForwarded()
        return outcome()
    }

    private func failed(_ message: String) -> MCPProxyOutcome {
        MCPProxyOutcome(end: .notStarted, exitStatus: ExecStatus.failed, calls: 0, refused: 0, error: message)
    }

    private func outcome() -> MCPProxyOutcome {
        state.locked {
            if let spawnFailure {
                let what = spawnFailure.exitStatus == ExecStatus.notFound ? "was not found"
                    : (spawnFailure.exitStatus == ExecStatus.cannotRun ? "cannot be run" : "could not be started")
                return MCPProxyOutcome(end: .notStarted, exitStatus: spawnFailure.exitStatus, calls: callCount, refused: refusedCount,
                                       error: "the MCP server \(quoted(request.argv[0])) \(what) (errno \(spawnFailure.errno))")
            }
            let ending = finished?.ending ?? .exited(0)
            if killed {
                return MCPProxyOutcome(end: .killed, exitStatus: GovernanceError.Kind.agentKilled.exitCode, calls: callCount, refused: refusedCount,
                                       error: "agent \(quoted(request.agentID)) was killed by an operator; the MCP server was stopped")
            }
            if clientClosed {
                // Stopped because it lingered after the client left: that is not the server's failure.
                if case .stopped = ending { return MCPProxyOutcome(end: .clientClosed, exitStatus: 0, calls: callCount, refused: refusedCount) }
                return MCPProxyOutcome(end: .clientClosed, exitStatus: ending.exitStatus, calls: callCount, refused: refusedCount,
                                       error: ending.exitStatus == 0 ? nil : "the MCP server exited with status \(ending.exitStatus)")
            }
            let how: String
            switch ending {
            case .exited(let code): how = "exited with status \(code)"
            case .signaled(let signal): how = "was ended by signal \(signal)"
            case .stopped(_, _, _): how = "was stopped"
            }
            return MCPProxyOutcome(end: .serverEnded, exitStatus: ending.exitStatus == 0 ? 1 : ending.exitStatus, calls: callCount,
                                   refused: refusedCount, error: "the MCP server \(how) while the client was connected; the calls in flight were answered with an error")
        }
    }

    // MARK: the kill switch

    /// Polled by the server's supervisor every 250 ms.
    private func shouldStop(_ watch: KillWatch) -> Bool {
        if state.locked({ stopRequested }) { return true }
        guard watch.killed() else { return false }
        killSession()
        return true
    }

    /// Cancels every call in flight (`notifications/cancelled` to the server, a refusal to the
    /// client) and has the server stopped; later calls are refused by the enforcement path.
    private func killSession() {
        let inFlight: [Call]? = state.locked {
            guard !killed else { return nil }
            killed = true
            stopRequested = true
            let list = Array(calls.values)
            for key in calls.keys { answered.insert(key) }
            calls = [:]
            return list
        }
        guard let inFlight else { return }
        answerForwarded()
        report("agent \(quoted(request.agentID)) was killed by an operator: \(inFlight.count) call\(inFlight.count == 1 ? "" : "s") in flight cancelled, the MCP server is being stopped")
        let error = GovernanceError(.agentKilled, "agent \(quoted(request.agentID)) was killed by an operator while this call ran; it was cancelled")
        for call in inFlight {
            serverIn.send(MCPMessage.cancelled(requestID: call.requestID, reason: "the agent was killed by an operator"))
            clientOut.send(MCPMessage.toolError(id: call.requestID, text: MCPMessage.refusalText(error)))
            audit(result: call, ending: .killed, isError: true, resultHash: nil)
        }
    }

    /// Answers the requests the server will not answer any more (it was stopped or ended).
    private func answerForwarded() {
        let pending: [JSONValue] = state.locked {
            let ids = Array(forwarded.values)
            for key in forwarded.keys { answered.insert(key) }
            forwarded = [:]
            lists = [:]
            return ids
        }
        for id in pending { unavailable(id) }
    }

    // MARK: the client's side

    private func clientLoop() {
        readMessages(from: "client", { [self] in readClient() }, handle: fromClient)
    }

    /// Reads one side's lines until its end. An over-long line is refused without an answer: its
    /// id was skipped with it (JSON-RPC's null id is not a valid MCP response, and the reference
    /// SDK drops its connection on one).
    private func readMessages(from side: String, _ next: @escaping () throws -> [UInt8]?, handle: (ArraySlice<UInt8>) -> Void) {
        var reader = LineReader(maxLineBytes: request.maxMessageBytes, next)
        while let line = try? reader.nextLine() {
            switch line {
            case .tooLong:
                reject(from: side, reason: "a message over \(request.maxMessageBytes) bytes", bytes: nil)
            case .line(let bytes):
                if !bytes.isEmpty { handle(bytes) }
            }
        }
    }

    /// The client's next bytes; nil at its end, or when the server is gone (and the agent was
    /// not killed: then the proxy stays to refuse every call until the client leaves).
    private func readClient() -> [UInt8]? {
        var fds = [pollfd(fd: request.input, events: Int16(POLLIN), revents: 0)]
        while true {
            let (done, wasKilled) = state.locked { (serverDone, killed) }
            if done && !wasKilled { return nil }
            let ready = poll(&fds, 1, 100)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            guard let chunk = try? FileSystem.readChunk(fd: request.input, what: "the client's messages") else { break }
            return chunk
        }
        state.locked { clientClosed = true }
        return nil
    }

    private func fromClient(_ bytes: ArraySlice<UInt8>) {
        switch MCPMessage.classify(bytes) {
        case .failure(let rejection):
            reject(from: "client", reason: rejection.reason, bytes: bytes)
            if let id = rejection.id { clientOut.send(MCPMessage.errorResponse(id: id, code: rejection.code, message: rejection.reason)) }
        case .success(.request(let id, "tools/call", let params)):
            governedCall(id: id, params: params, bytes: bytes)
        case .success(.request(let id, let method, _)):
            guard !gone() else { return unavailable(id) }
            state.locked {
                if method == "tools/list" { lists[MCPMessage.key(id)] = id }
                forwarded[MCPMessage.key(id)] = id
            }
            serverIn.send(bytes, newline: true)
        case .success(.notification(let method, let params)):
            guard !gone() else { return }
            if method == "notifications/cancelled", let requestID = params?["requestId"] {
                let key = MCPMessage.key(requestID)
                let call: Call? = state.locked {
                    // A held call is dropped: its wait ends without an answer.
                    held.removeValue(forKey: key)
                    guard let call = calls.removeValue(forKey: key) else { return nil }
                    answered.insert(key)
                    return call
                }
                if let call { audit(result: call, ending: .cancelled, isError: true, resultHash: nil) }
            }
            serverIn.send(bytes, newline: true)
        case .success(.response):
            // The client's answers to the server's requests (sampling, elicitation, roots).
            guard !gone() else { return }
            serverIn.send(bytes, newline: true)
        }
    }

    private func unavailable(_ id: JSONValue) {
        let wasKilled = state.locked { killed }
        clientOut.send(MCPMessage.errorResponse(id: id, code: MCPMessage.unavailable,
                                                message: wasKilled ? "agent \(request.agentID) was killed by an operator; governance refuses every request"
                                                    : "the MCP server has ended"))
    }

    /// A `tools/call`: checked by the enforcement path, audited, then passed on.
    private func governedCall(id: JSONValue, params: JSONValue?, bytes: ArraySlice<UInt8>) {
        guard case .string(let tool)? = params?["name"] else {
            return invalidCall(id, bytes, "tools/call without a tool name")
        }
        let arguments = params?["arguments"] ?? .object([])
        guard arguments.objectMembers != nil else { return invalidCall(id, bytes, "tools/call arguments that are not an object") }
        do {
            try Identifier.check(tool, field: "tool")
        } catch {
            return invalidCall(id, bytes, "tools/call with an invalid tool name: \(error.message)")
        }
        let key = MCPMessage.key(id)
        guard !state.locked({ calls[key] != nil || held[key] != nil }) else { return invalidCall(id, bytes, "a request id already in flight") }
        state.locked { callCount += 1 }

        let canonicalArguments = JSONWriter.canonical(arguments)
        let kinds = approvalsAsked(tool)
        guard kinds.isEmpty else {
            // Held on a thread of its own: the session goes on while an operator decides.
            state.locked { held[key] = id }
            let token = params?["_meta"]?["progressToken"]
            let copy = Array(bytes)
            if !spawnThread({ [self] in
                holdForApproval(id: id, tool: tool, arguments: canonicalArguments, kinds: kinds,
                                progressToken: token, bytes: copy[...])
            }) {
                state.locked { _ = held.removeValue(forKey: key) }
                refuse(id, .internalError("cannot start a thread to wait for the approval"))
            }
            return
        }
        checkAndForward(id: id, tool: tool, canonicalArguments: canonicalArguments, bytes: bytes)
    }

    /// The approval kinds the tool's contract asks for before the call (`hitl_approved`), to ask
    /// the operators first (`execCheck` then checks the approvals itself). Most calls need none,
    /// and learn that from the stored row as written, without checking its signature; asking
    /// operators is acted on, so kinds found there are taken from the signature-checked policy.
    /// A row edited by hand thus never has an approval asked for; the check refuses its calls.
    private func approvalsAsked(_ tool: String) -> [String] {
        func kinds(_ policy: AgentPolicy?) -> [String] {
            policy?.contract(for: tool)?.pre.filter { $0.check == .hitlApproved }.compactMap(\.kind) ?? []
        }
        let stored = try? withStore { try PolicyStore(db: try enforcer.openStore().connection).unverified(request.agentID) }
        guard !kinds(stored).isEmpty else { return [] }
        guard let read = try? withStore({ try PolicyStore(db: try enforcer.openStore().connection).verified(request.agentID) }),
              read.ignored == nil else { return [] }
        return kinds(read.policy?.policy)
    }

    /// Asks for each approval the call needs (bound to this tool and these arguments), waits for
    /// the decisions with progress notifications when the client asked for them, then checks the
    /// call as any other; a denial, a timeout or a kill refuses it.
    private func holdForApproval(id: JSONValue, tool: String, arguments: String, kinds: [String],
                                 progressToken: JSONValue?, bytes: ArraySlice<UInt8>) {
        let key = MCPMessage.key(id)
        // The wait polls the store for minutes: it gets a connection of its own.
        let waiter = Enforcer(configuration: enforcer.configuration, keys: enforcer.keys)
        let ticker = MCPLock()
        var waiting = true
        var ticks = 0
        if let progressToken {
            _ = spawnThread { [self] in
                while !ticker.wait(seconds: 1, until: { !waiting }) {
                    ticks += 1
                    clientOut.send(MCPMessage.progress(token: progressToken, progress: ticks,
                                                       message: "waiting for an operator's approval of \(tool)"))
                }
            }
        }
        func stopTicker() {
            ticker.locked { waiting = false }
            ticker.broadcast()
        }
        do {
            for kind in kinds {
                // The step is the tool and its canonical arguments: the operator reviews the
                // arguments themselves (`governed_step`), and the grant is bound to their digest.
                let payload = JSONValue.object([("arguments_sha256", .string(Digest.sha256Hex(arguments))), ("transport", .string("mcp"))])
                let issued = try withStore {
                    let issued = try enforcer.requestApproval(agentID: request.agentID, sessionID: request.sessionID, kind: kind,
                                                              payload: payload, step: (tool, [arguments]))
                    if case .allowed(let made) = issued.outcome {
                        for warning in Notifier.deliver([.requested(made.request)], db: try? enforcer.openStore().connection,
                                                        environment: FileSystem.environment) { report(warning) }
                    }
                    return issued
                }
                issued.warnings.forEach(report)
                guard case .allowed(let made) = issued.outcome else {
                    if case .denied(let error) = issued.outcome { throw error }
                    throw GovernanceError(.storeUnavailable, "the approval could not be requested: the store is unavailable")
                }
                report("\(quoted(tool)) needs approval (\(quoted(kind))): held until an operator runs `governance gates grant \(made.request.requestID)` (or deny)")
                let decided = try waiter.waitForApproval(made.request, timeout: request.approvalTimeoutSeconds)
                decided.warnings.forEach(report)
                if case .denied(let error) = decided.outcome { throw error }
            }
        } catch {
            stopTicker()
            let held = state.locked { self.held.removeValue(forKey: key) != nil }
            if held { refuse(id, error as? GovernanceError ?? .internalError("\(error)")) }
            return
        }
        stopTicker()
        // Cancelled by the client while it waited: nothing to answer.
        guard state.locked({ held.removeValue(forKey: key) != nil }) else { return }
        checkAndForward(id: id, tool: tool, canonicalArguments: arguments, bytes: bytes)
    }

    /// The enforcement path for one call, then `tool.call` and the call passed on.
    private func checkAndForward(id: JSONValue, tool: String, canonicalArguments: String, bytes: ArraySlice<UInt8>) {
        let key = MCPMessage.key(id)
        let checked: EnforcementResult<ExecClearance>
        do {
            checked = try withStore {
                try enforcer.execCheck(agentID: request.agentID, sessionID: request.sessionID, tool: tool, argv: [canonicalArguments],
                                       failOpen: request.failOpen, action: "mcp.tools_call")
            }
        } catch {
            // Not a decision (a damaged store, an internal error): still a refusal.
            let failure = error as? GovernanceError ?? .internalError("\(error)")
            report("the check of \(quoted(tool)) failed: \(failure.message)")
            return refuse(id, failure)
        }
        checked.warnings.forEach(report)
        var charge: ToolCharge?
        // Whether the result is checked against post-conditions comes from the policy that allowed
        // the call; without a check (fail-open) it is checked.
        var postCheck = true
        switch checked.outcome {
        case .denied(let error):
            refuse(id, error)
            if error.kind == .agentKilled { killSession() }
            return
        case .allowed(let clearance):
            if let reservation = clearance.reservation { enforcer.release(reservation) }
            charge = clearance.charge
            postCheck = clearance.postConditions
        case .allowedFailOpen:
            break
        }
        guard !gone() else {
            // Not passed on, not paid.
            if let charge { withStore { enforcer.release(charge.reservation) } }
            return refuse(id, GovernanceError(.storeUnavailable, "the MCP server has ended"))
        }

        let callID = (try? SessionID.random().value) ?? "unknown"
        var callSeq: Int64?
        do {
            let event: PendingEvent
            do {
                event = try PendingEvent(validating: MCPEvents.call(agentID: request.agentID, sessionID: session, tool: tool, callID: callID,
                                                                    argumentsHash: Digest.sha256Hex(canonicalArguments), requestID: id))
            } catch {
                if let charge { withStore { enforcer.release(charge.reservation) } }
                throw error
            }
            // The call and its charge are recorded together; when neither the store nor the
            // spool takes them, the call is refused and its price released.
            let passed = try withStore {
                try enforcer.passOn(call: event, callID: callID, charge: charge, recorder: recorder, notPassedOn: "the call was not passed on")
            }
            callSeq = passed.callSeq
            passed.warnings.forEach(report)
        } catch {
            return refuse(id, error as? GovernanceError ?? .internalError("\(error)"))
        }
        state.locked {
            calls[key] = Call(tool: tool, callID: callID, callSeq: callSeq, requestID: id, started: Timestamp.now().microseconds, postCheck: postCheck)
        }
        serverIn.send(bytes, newline: true)
    }

    private func refuse(_ id: JSONValue, _ error: GovernanceError) {
        state.locked { refusedCount += 1 }
        clientOut.send(MCPMessage.toolError(id: id, text: MCPMessage.refusalText(error)))
    }

    private func invalidCall(_ id: JSONValue, _ bytes: ArraySlice<UInt8>, _ reason: String) {
        reject(from: "client", reason: reason, bytes: bytes)
        state.locked { refusedCount += 1 }
        clientOut.send(MCPMessage.errorResponse(id: id, code: MCPMessage.invalidParams, message: reason))
    }

    // MARK: the server's side

    private func serverLoop(fd: Int32) {
        readMessages(from: "server", { try FileSystem.readChunk(fd: fd, what: "the MCP server's messages") }, handle: fromServer)
    }

    private func fromServer(_ bytes: ArraySlice<UInt8>) {
        switch MCPMessage.classify(bytes) {
        case .failure(let rejection):
            reject(from: "server", reason: rejection.reason, bytes: bytes)
            if let id = rejection.id { serverIn.send(MCPMessage.errorResponse(id: id, code: rejection.code, message: rejection.reason)) }
        case .success(.response(let id, let result, let error)):
            let key = MCPMessage.key(id)
            enum Match { case call(Call), list(JSONValue), late, other }
            let match: Match = state.locked {
                forwarded.removeValue(forKey: key)
                if let call = calls.removeValue(forKey: key) { return .call(call) }
                if let list = lists.removeValue(forKey: key) { return .list(list) }
                if answered.remove(key) != nil { return .late }
                return .other
            }
            switch match {
            case .call(let call): finishCall(call, result: result, error: error, bytes: bytes)
            case .list(let id): filterList(id: id, result: result, bytes: bytes)
            case .late: break
            case .other: clientOut.send(bytes, newline: true)
            }
        case .success:
            // Server requests (sampling, elicitation, roots) and notifications (list_changed,
            // progress, logging) pass through.
            clientOut.send(bytes, newline: true)
        }
    }

    /// The server's answer to a governed call: `tool.result`, the post-conditions, then the
    /// answer (or, when a post-condition fails, a refusal in its place).
    private func finishCall(_ call: Call, result: JSONValue?, error: JSONValue?, bytes: ArraySlice<UInt8>) {
        let isError = error != nil || result?["isError"] == .bool(true)
        audit(result: call, ending: result != nil ? .result : .error, isError: isError,
              resultHash: MCPEvents.hash(result ?? error ?? .null))
        if result != nil, !isError, call.postCheck {
            let post = try? withStore {
                try enforcer.contractCheck(agentID: request.agentID, sessionID: session, tool: call.tool, phase: .post, failOpen: request.failOpen)
            }
            post?.warnings.forEach(report)
            if case .denied(let violation)? = post?.outcome {
                report(violation.message)
                return refuse(call.requestID, violation)
            }
        }
        clientOut.send(bytes, newline: true)
    }

    /// A `tools/list` answer with only the tools the policy allows (none when the policy cannot
    /// be read: the list is never shown unfiltered).
    private func filterList(id: JSONValue, result: JSONValue?, bytes: ArraySlice<UInt8>) {
        guard let result else {
            clientOut.send(bytes, newline: true)
            return
        }
        guard let members = result.objectMembers, let tools = result["tools"]?.arrayValue else {
            reject(from: "server", reason: "a tools/list result without a tools array", bytes: bytes)
            clientOut.send(MCPMessage.errorResponse(id: id, code: -32603, message: "the MCP server's tools/list result has no tools array"))
            return
        }
        let read = try? withStore {
            try enforcer.enforce(EnforcementRequest(agentID: request.agentID, sessionID: request.sessionID, action: "mcp.tools_list")) { context in
                try context.policy()
            }
        }
        read?.warnings.forEach(report)
        var policy: AgentPolicy?
        if case .allowed(let found)? = read?.outcome { policy = found }
        let kept = tools.filter { tool in
            guard case .string(let name)? = tool["name"], let policy else { return false }
            return (try? ScopeCheck.check(.tool(name), policy: policy, agentID: request.agentID)) != nil
        }
        let filtered = JSONValue.object(members.map { $0.0 == "tools" ? ("tools", .array(kept)) : $0 })
        clientOut.send(MCPMessage.response(id: id, result: filtered))
    }

    // MARK: audit

    private func audit(result call: Call, ending: MCPEvents.Ending, isError: Bool, resultHash: String?) {
        let duration = Timestamp.now().microseconds - call.started
        record(MCPEvents.result(agentID: request.agentID, sessionID: session, tool: call.tool, callID: call.callID, callSeq: call.callSeq,
                                requestID: call.requestID, ending: ending, isError: isError, resultHash: resultHash,
                                durationMicroseconds: duration))
    }

    private func reject(from side: String, reason: String, bytes: ArraySlice<UInt8>?) {
        report("mcp proxy: refused a message from the \(side == "client" ? "client" : "MCP server"): \(reason)")
        record(MCPEvents.rejected(agentID: request.agentID, sessionID: session, from: side, reason: reason, bytes: bytes))
    }

    /// Observation semantics: a write that fails is said, never fatal.
    private func record(_ event: AuditEventInput) {
        do {
            let pending = try PendingEvent(validating: event)
            _ = try withStore { try recorder.record([pending]) }
        } catch {
            report("the \(event.kind) event could not be audited: \((error as? GovernanceError)?.message ?? "\(error)")")
        }
    }
}

import Glibc

/// One governed step, after its checks passed (`Enforcer.execCheck`): `tool.call` in the chain,
/// the command run and contained (`ChildProcess`, watched by the kill switch), `tool.result`
/// naming how it ended and every process that had to be stopped, then the contract's
/// post-conditions. `governance exec` is this flow; a Swift program calls `Enforcer.runStep`,
/// which runs the checks first.
public struct StepRequest: Sendable {
    public var agentID: String
    /// nil: the agent's own chain.
    public var sessionID: SessionID?
    public var tool: String
    /// The command and its arguments.
    public var argv: [String]
    /// A descriptor the command reads as stdin, and the SHA-256 recorded for it (`HashedStdin`).
    public var stdin: (fd: Int32, sha256: String)?
    /// Tee stdout through a pipe to `outputFD` and record its SHA-256.
    public var captureOutput: Bool
    public var outputFD: Int32
    public var timeoutSeconds: Double?
    public var killGraceSeconds: Double
    /// Allow, with a warning, when the store cannot be reached (the global `--fail-open`).
    public var failOpen: Bool
    /// The step's projected tokens (priced with its model): checked against every cap and reserved
    /// while it runs; the command gets the reservation's id as GOVERNANCE_RESERVATION_ID, to settle
    /// with `cost track-usage --reservation`; what it leaves unsettled is released when it ends.
    public var projection: CostProjection

    public init(agentID: String, sessionID: SessionID? = nil, tool: String, argv: [String],
                stdin: (fd: Int32, sha256: String)? = nil, captureOutput: Bool = false, outputFD: Int32 = 1,
                timeoutSeconds: Double? = nil, killGraceSeconds: Double = 10, failOpen: Bool = false, projection: CostProjection = .none) {
        self.projection = projection
        self.agentID = agentID
        self.sessionID = sessionID
        self.tool = tool
        self.argv = argv
        self.stdin = stdin
        self.captureOutput = captureOutput
        self.outputFD = outputFD
        self.timeoutSeconds = timeoutSeconds
        self.killGraceSeconds = killGraceSeconds
        self.failOpen = failOpen
    }
}

/// How a governed step went.
public struct StepOutcome: Sendable {
    public enum Run: Sendable {
        /// The checks refused it: the command never started.
        case refused(GovernanceError)
        /// It could not be started (not found 127, not executable 126, otherwise 125).
        case notStarted(errno: Int32, exitStatus: Int32)
        /// It ran; how it ended.
        case ran(ChildProcess.Ending)
    }

    public var run: Run
    public var callID: String?
    /// The seq of `tool.call` in the chain (nil when it was spooled).
    public var callSeq: Int64?
    /// Processes the step's end had to signal (pid, name, last signal).
    public var stopped: [ChildProcess.Stopped]
    /// A post-condition that failed.
    public var postViolation: GovernanceError?
    /// The checks were skipped because the store was unreachable and `failOpen` was set.
    public var failedOpen: Bool
    /// For stderr (the core never prints).
    public var warnings: [String]

    public init(run: Run, callID: String? = nil, callSeq: Int64? = nil, stopped: [ChildProcess.Stopped] = [],
                postViolation: GovernanceError? = nil, failedOpen: Bool = false, warnings: [String] = []) {
        self.run = run
        self.callID = callID
        self.callSeq = callSeq
        self.stopped = stopped
        self.postViolation = postViolation
        self.failedOpen = failedOpen
        self.warnings = warnings
    }

    /// The status `exec` exits with: the command's own (128+N for a signal), 124 for the timeout,
    /// 125-127 when it could not start, or governance's code for a refusal, a kill or a failed
    /// post-condition of a command that succeeded.
    public var exitStatus: Int32 {
        switch run {
        case .refused(let error): return error.exitCode
        case .notStarted(_, let status): return status
        case .ran(let ending):
            if let postViolation, ending.exitStatus == 0 { return postViolation.exitCode }
            return ending.exitStatus
        }
    }

    /// Whether governance, not the command, decided the status (a refusal, a kill, a failed
    /// post-condition of a command that succeeded).
    public var governanceDecided: Bool {
        switch run {
        case .refused: return true
        case .notStarted: return false
        case .ran(let ending):
            if case .stopped(.killSwitch, _, _) = ending { return true }
            return postViolation != nil && ending.exitStatus == 0
        }
    }

    /// The result document of `exec --result-fd` and of the Swift API.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = []
        var error: GovernanceError?
        switch run {
        case .refused(let refusal):
            fields += [("ran", .bool(false)), ("command_status", .null), ("ended_by", .string("refused"))]
            error = refusal
        case .notStarted(let errno, let status):
            fields += [("ran", .bool(false)), ("command_status", .null), ("ended_by", .string("not_started")),
                       ("spawn_errno", .int(Int(errno))), ("spawn_status", .int(Int(status)))]
        case .ran(let ending):
            var status: JSONValue = .null
            var endedBy = "exit"
            switch ending {
            case .exited(let code): status = .int(Int(code))
            case .signaled(let signal): status = .int(Int(ExecStatus.signalBase + signal)); endedBy = "signal"
            case .stopped(let reason, _, _): endedBy = reason.rawValue
            }
            fields += [("ran", .bool(true)), ("command_status", status), ("ended_by", .string(endedBy))]
            error = postViolation
        }
        fields += [("governance_decided", .bool(governanceDecided)), ("exit_status", .int(Int(exitStatus))),
                   ("call_id", .optional(callID)), ("call_seq", callSeq.map { .int64($0) } ?? .null),
                   ("fail_open", .bool(failedOpen)), ("stopped_processes", .array(stopped.map(\.json))),
                   ("error", error.map { .object([("code", .string($0.kind.rawValue)), ("message", .string($0.message)),
                                                  ("exit_code", .int(Int($0.kind.exitCode)))]) } ?? .null)]
        return .object(fields)
    }
}

extension Enforcer {
    /// A whole governed step: the checks of `execCheck` (a refusal is audited and returned, the
    /// command never starts), then `perform`.
    public func runStep(_ request: StepRequest, recorder: AuditRecorder? = nil) throws -> StepOutcome {
        let checked = try execCheck(agentID: request.agentID, sessionID: request.sessionID, tool: request.tool, argv: request.argv,
                                    projection: request.projection, failOpen: request.failOpen)
        switch checked.outcome {
        case .denied(let error):
            return StepOutcome(run: .refused(error), stopped: [], failedOpen: false, warnings: checked.warnings)
        case .allowed(let clearance):
            var outcome = try perform(request, clearance: clearance, recorder: recorder)
            outcome.warnings = checked.warnings + outcome.warnings
            return outcome
        case .allowedFailOpen:
            var outcome = try perform(request, recorder: recorder)
            outcome.warnings = checked.warnings + outcome.warnings
            if case .allowedFailOpen = checked.outcome { outcome.failedOpen = true }
            return outcome
        }
    }

    /// The step after its checks (`execCheck`'s clearance): the projection's reservation and the
    /// tool's charge are the clearance's.
    public func perform(_ request: StepRequest, clearance: ExecClearance, recorder given: AuditRecorder? = nil) throws -> StepOutcome {
        try perform(request, reservation: clearance.reservation, charge: clearance.charge, recorder: given)
    }

    /// The step after its checks: `tool.call` (with the priced tool's `charge`, `passOn`), the
    /// contained command under the kill switch and the timeout, `tool.result`, the
    /// post-conditions. When `tool.call` cannot be written to the store or the spool, the command
    /// does not run (exit 4).
    public func perform(_ request: StepRequest, reservation: Reservation? = nil, charge: ToolCharge? = nil,
                        recorder given: AuditRecorder? = nil) throws -> StepOutcome {
        let recorder = given ?? self.recorder()
        // Whatever happens to the step, its reservation stops counting when the step is over.
        defer { if let reservation { release(reservation) } }
        let session = AgentChain.resolve(request.sessionID, agentID: request.agentID)
        let callID: String, call: PendingEvent
        do {
            callID = try SessionID.random().value
            call = try PendingEvent(validating: ExecEvents.call(agentID: request.agentID, sessionID: session, tool: request.tool,
                                                               callID: callID, argv: request.argv, stdinHash: request.stdin?.sha256))
        } catch {
            // Not passed on, not paid.
            if let charge { release(charge.reservation) }
            throw error
        }
        var warnings: [String] = []
        let passed = try passOn(call: call, callID: callID, charge: charge, recorder: recorder, notPassedOn: "the command was not run")
        let callSeq = passed.callSeq
        warnings += passed.warnings

        // The kill watch reads the marker through its own connection; if the store goes away
        // while the command runs, the command goes on (it was allowed) and the watch says so once.
        let watch = KillWatch(open: { try self.openStoreForWatch() }, agentID: request.agentID)
        var child = ChildProcess(argv: request.argv)
        if let stdin = request.stdin { child.stdinFD = stdin.fd }
        child.captureOutput = request.captureOutput
        child.outputFD = request.outputFD
        child.timeoutSeconds = request.timeoutSeconds
        child.killGraceSeconds = request.killGraceSeconds
        child.shouldStop = { watch.killed() }
        if let reservation { child.environment = [(EnvironmentVariable.reservationID.name, reservation.id)] }

        let finished: ChildProcess.Finished
        do {
            finished = try child.run()
        } catch {
            let result = try PendingEvent(validating: ExecEvents.notStarted(agentID: request.agentID, sessionID: session, tool: request.tool,
                                                                           callID: callID, callSeq: callSeq, failure: error))
            _ = try? recorder.record([result])
            warnings += recorder.warnings
            let what = error.exitStatus == ExecStatus.notFound ? "was not found" : (error.exitStatus == ExecStatus.cannotRun ? "cannot be run" : "could not be started")
            warnings.append("\(quoted(request.argv[0])) \(what) (errno \(error.errno))")
            return StepOutcome(run: .notStarted(errno: error.errno, exitStatus: error.exitStatus), callID: callID, callSeq: callSeq,
                               stopped: [], failedOpen: false, warnings: warnings)
        }
        if let warning = watch.warning { warnings.append(warning) }

        let result = try PendingEvent(validating: ExecEvents.result(agentID: request.agentID, sessionID: session, tool: request.tool,
                                                                   callID: callID, callSeq: callSeq, finished: finished))
        _ = try recorder.record([result])
        warnings += recorder.warnings
        var outcome = StepOutcome(run: .ran(finished.ending), callID: callID, callSeq: callSeq, stopped: finished.stopped,
                                  failedOpen: false, warnings: warnings)
        if !finished.stopped.isEmpty {
            outcome.warnings.append("stopped \(finished.stopped.count) process\(finished.stopped.count == 1 ? "" : "es") of the step: "
                                    + finished.stopped.map { "\($0.pid) \(quoted($0.name))" }.joined(separator: ", "))
        }
        if case .stopped(let reason, _, _) = finished.ending {
            outcome.warnings.append(reason == .killSwitch
                                    ? "agent \(quoted(request.agentID)) was killed by an operator while \(quoted(request.tool)) ran; the command was stopped"
                                    : "\(quoted(request.tool)) ran past the timeout and was stopped")
            return outcome
        }
        let post = try contractCheck(agentID: request.agentID, sessionID: session, tool: request.tool, phase: .post, failOpen: request.failOpen)
        outcome.warnings += post.warnings
        if case .denied(let error) = post.outcome {
            outcome.warnings.append(error.message)
            outcome.postViolation = error
        }
        return outcome
    }
}

extension Enforcer {
    /// Releases what the step reserved and its command did not settle (best effort: an unreleased
    /// reservation expires by itself).
    func release(_ reservation: Reservation) {
        guard let store = try? openStore() else { return }
        _ = try? CostLedger(db: store.connection).settle(reservationID: reservation.id, agentID: reservation.agentID)
    }

    /// A clearance that will not be performed (its caller failed before `perform`): the
    /// projection's reservation and the price stop counting. Not passed on, not paid.
    public func abandon(_ clearance: ExecClearance) {
        if let reservation = clearance.reservation { release(reservation) }
        if let charge = clearance.charge { release(charge.reservation) }
    }
}

/// Reads the agent's kill marker for the running command, through a connection of its own.
final class KillWatch: @unchecked Sendable {
    private let open: () throws -> Store
    let agentID: String
    private var store: Store?
    private(set) var warning: String?

    init(open: @escaping () throws -> Store, agentID: String) {
        self.open = open
        self.agentID = agentID
    }

    func killed() -> Bool {
        do {
            if store == nil { store = try open() }
            return try KillMarkers.read(store!.connection, agentID: agentID).marker != nil
        } catch {
            if warning == nil { warning = "the kill switch could not be read while the command ran: \((error as? GovernanceError)?.message ?? "\(error)")" }
            store = nil
            return false
        }
    }
}

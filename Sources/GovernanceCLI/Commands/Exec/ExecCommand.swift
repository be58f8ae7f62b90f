import Glibc
import GovernanceCore

/// `governance exec --agent A --tool T [...] -- COMMAND [ARGS...]`: one governed step.
enum Exec {
    static let tool: Flag<String> = .text("tool", short: "t", value: "TOOL", "The tool this command is (checked against scope, loop and contracts)",
                                          requirement: .required)
    static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "End the command after this long and exit 124", range: 1...604_800)
    static let killGrace: Flag<Int64> = .integer("kill-grace", value: "SECONDS", "Seconds between SIGTERM and SIGKILL when the command is stopped (default 10)",
                                                 range: 0...3_600)
    static let hashStdin: Flag<Bool> = .toggle("hash-stdin", "Record the SHA-256 of stdin in tool.call (stdin is read first, up to 256 MiB)")
    static let captureOutput: Flag<Bool> = .toggle("capture-output", "Tee stdout through a pipe and record its SHA-256 in tool.result")

    static let command = CommandSpec.enforcing(
        "exec", "Run one governed tool call: checks before, audit around, stopped by the kill switch",
        doc: """
        Goes through the enforcement path once: the kill switch (15), scope for --tool (10/11), the budget \
        (12), the loop record (13) and the tool's contract pre-conditions (14); a denial exits with its code \
        and the command never starts. Then audits tool.call (the SHA-256 of the argv as a canonical JSON \
        array, and of stdin with --hash-stdin), runs the command in its own process group with stdin, stdout \
        and stderr passed through (stdout teed and hashed with --capture-output), forwards SIGINT, SIGTERM, \
        SIGHUP and SIGQUIT to the group, and hands it the terminal when stdin is one. While it runs the kill \
        marker is read every 250 ms: a kill sends the group SIGTERM, SIGKILL after --kill-grace, and exec \
        exits 15; --timeout does the same and exits 124. Then audits tool.result (call_id and call_seq of the \
        call, exit status or signal, duration in microseconds, stdout SHA-256), checks the post-conditions \
        (a failure is audited and, when the command succeeded, exits 14) and exits with the command's status \
        (128+N for signal N; 125 the command could not be started, 126 not executable, 127 not found).
        """,
        flags: [SharedFlags.agent, SharedFlags.optionalSession, tool, timeout, killGrace, hashStdin, captureOutput],
        positionals: [PositionalSpec("COMMAND", "The command and its arguments, after --", variadic: true)],
        examples: ["governance exec --agent billing-agent --tool read_invoice -- ./read-invoice.sh 118",
                   "governance exec -a billing-agent -t charge_customer --timeout 30 --capture-output -- ./charge.sh 118"],
        needs: .record,
        failures: [.scopeViolation, .noPolicy, .budgetExceeded, .loopDetected, .contractViolation, .invalidInput],
        decide: { args, _, enforcer, failOpen in
            guard !args.positionals.isEmpty else { throw GovernanceError.usage("give the command after --: governance exec --agent A --tool T -- COMMAND [ARGS...]") }
            return try enforcer.execCheck(agentID: try args.require(SharedFlags.agent), sessionID: args[SharedFlags.optionalSession],
                                          tool: try args.require(tool), failOpen: failOpen)
        },
        render: { _, args, run in try runCommand(args, run) },
        failOpen: { args, run in try runCommand(args, run) })

    static func runCommand(_ args: Arguments, _ run: Run) throws -> Int32 {
        let agent = try args.require(SharedFlags.agent)
        let session = AgentChain.resolve(args[SharedFlags.optionalSession], agentID: agent)
        let toolName = try args.require(tool)
        let argv = args.positionals
        var stdin: (fd: Int32, sha256: String)?
        if args.has(hashStdin) { stdin = try HashedStdin.capture() }
        defer { if let stdin { close(stdin.fd) } }

        let callID = try SessionID.random().value
        let recorder = try run.recorder
        let call = try PendingEvent(validating: ExecEvents.call(agentID: agent, sessionID: session, tool: toolName, callID: callID,
                                                               argv: argv, stdinHash: stdin?.sha256))
        var callSeq: Int64?
        switch try recorder.record([call], returningIDs: true) {
        case .appended(let records): callSeq = records.first?.seq
        case .spooled: break
        case .placeholder:
            for warning in recorder.warnings { run.warn(warning) }
            throw GovernanceError.unavailable("the tool.call event could not be written to the store or the spool; the command was not run")
        }

        // The kill watch reads the marker through its own connection; if the store goes away
        // while the command runs, the command goes on (it was allowed) and the watch says so once.
        let configuration = try run.configuration()
        let watch = KillWatch(configuration: configuration, agentID: agent)
        var child = ChildProcess(argv: argv)
        if let stdin { child.stdinFD = stdin.fd }
        child.captureOutput = args.has(captureOutput)
        child.timeoutSeconds = args[timeout].map(Double.init)
        child.killGraceSeconds = Double(args[killGrace] ?? 10)
        child.shouldStop = { watch.killed() }

        let finished: ChildProcess.Finished
        do {
            finished = try child.run()
        } catch {
            let what = error.exitStatus == 127 ? "was not found" : (error.exitStatus == 126 ? "cannot be run" : "could not be started")
            let result = try PendingEvent(validating: AuditEventInput(sessionID: session, agentID: agent, kind: "tool.result", metadata: .object([
                ("tool", .string(toolName)), ("call_id", .string(callID)), ("call_seq", callSeq.map { .int64($0) } ?? .null),
                ("spawn_errno", .int(Int(error.errno))), ("exit_status", .int(Int(error.exitStatus)))])))
            _ = try? recorder.record([result])
            for warning in recorder.warnings { run.warn(warning) }
            run.warn("\(Render.quoted(argv[0])) \(what) (errno \(error.errno))")
            return error.exitStatus
        }
        if let warning = watch.warning { run.warn(warning) }

        let result = try PendingEvent(validating: ExecEvents.result(agentID: agent, sessionID: session, tool: toolName, callID: callID,
                                                                   callSeq: callSeq, ending: finished.ending,
                                                                   durationMicroseconds: finished.durationMicroseconds,
                                                                   stdoutHash: finished.stdoutHash))
        _ = try recorder.record([result])
        for warning in recorder.warnings { run.warn(warning) }

        if case .stopped(let reason, _, _) = finished.ending {
            run.warn(reason == .killSwitch
                     ? "agent \(Render.quoted(agent)) was killed by an operator while \(Render.quoted(toolName)) ran; the command was stopped"
                     : "\(Render.quoted(toolName)) ran past --timeout and was stopped")
            return finished.ending.exitStatus
        }
        let post = try run.enforcer().contractCheck(agentID: agent, sessionID: session, tool: toolName, phase: .post,
                                                   failOpen: args.has(GlobalFlags.failOpen))
        for warning in post.warnings { run.warn(warning) }
        if case .denied(let error) = post.outcome {
            run.warn(error.message)
            if finished.ending.exitStatus == 0 { return error.exitCode }
        }
        return finished.ending.exitStatus
    }
}

/// Reads the agent's kill marker for the running command.
final class KillWatch: @unchecked Sendable {
    let configuration: Configuration
    let agentID: String
    private var store: Store?
    private(set) var warning: String?

    init(configuration: Configuration, agentID: String) {
        self.configuration = configuration
        self.agentID = agentID
    }

    func killed() -> Bool {
        do {
            if store == nil { store = try Store.open(configuration) }
            return try KillMarkers.read(store!.connection, agentID: agentID) != nil
        } catch {
            if warning == nil { warning = "the kill switch could not be read while the command ran: \((error as? GovernanceError)?.message ?? "\(error)")" }
            store = nil
            return false
        }
    }
}

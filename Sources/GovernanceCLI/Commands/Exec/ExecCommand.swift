import Glibc
import GovernanceCore

/// `governance exec --agent A --tool T [...] -- COMMAND [ARGS...]`: one governed step. The checks
/// are the enforcement path's (`Enforcer.execCheck`); the step itself is the core's
/// (`Enforcer.perform`): this file only reads flags and reports.
enum Exec {
    static let argv: Positional<[String]> = .rest("COMMAND", "The command and its arguments, after --")
    static let timeout: Flag<Int64> = .integer("timeout", value: "SECONDS", "End the command after this long and exit 124", range: 1...604_800)
    static let killGrace: Flag<Int64> = .integer("kill-grace", value: "SECONDS", "Seconds between SIGTERM and SIGKILL when the step is stopped (default 10)",
                                                 range: 0...3_600)
    static let hashStdin: Flag<Bool> = .toggle("hash-stdin", "Record the SHA-256 of stdin in tool.call (stdin is read first, up to 256 MiB)")
    static let captureOutput: Flag<Bool> = .toggle("capture-output", "Tee stdout through a pipe and record its SHA-256 in tool.result")
    static let refusalStatus: Flag<Int64> = .integer("refusal-status", value: "N",
                                                     "Exit N whenever governance, not the command, decides the status (a refusal, a kill, a failed post-condition)",
                                                     range: 1...255)
    static let resultFD: Flag<Int64> = .integer("result-fd", value: "FD",
                                                "Write a JSON result document to this open descriptor: who decided the status, and why",
                                                range: 3...1_023)

    static let command = CommandSpec.enforcing(
        "exec", "Run one governed tool call: checks before, audit around, stopped by the kill switch",
        doc: """
        Goes through the enforcement path once: the kill switch (15), scope for --tool (10/11), the budget \
        (12), the loop record (13) and the tool's contract pre-conditions (14); a denial exits with its code \
        and the command never starts. Then audits tool.call (the SHA-256 of the argv as a canonical JSON \
        array, and of stdin with --hash-stdin), runs the command in its own process group with stdin, stdout \
        and stderr passed through (stdout teed and hashed with --capture-output), forwards SIGINT, SIGTERM, \
        SIGHUP and SIGQUIT to the group, and hands it the terminal when stdin is one. While it runs the kill \
        marker is read every 250 ms: a kill sends every process of the step SIGTERM, SIGKILL after \
        --kill-grace, and exec exits 15; --timeout does the same and exits 124. The step is its whole process \
        tree: exec is a child subreaper, the command gets SIGKILL if exec dies, and where a cgroup can be made \
        the step is born into it, so a process that double-forks or calls setsid() is still stopped; when the \
        command exits, whatever it left running is stopped the same way (docs/SECURITY.md says what still \
        escapes). Then audits tool.result (call_id and call_seq of the call, exit status or signal, duration \
        in microseconds, stdout SHA-256, every process it had to stop), checks the post-conditions (a \
        failure is audited and, when the command succeeded, exits 14) and exits with the command's status \
        (128+N for signal N; 125 the command could not be started, 126 not executable, 127 not found). \
        With --max-tokens (or --projected-tokens, or GOVERNANCE_DEFAULT_MAX_TOKENS) and --model, the step's \
        worst case is checked against every cap and reserved while it runs, as `cost check` does; the command \
        gets the reservation's id as GOVERNANCE_RESERVATION_ID (`cost track-usage --reservation \
        "$GOVERNANCE_RESERVATION_ID"` settles it with the real spend), and what it leaves is released when it ends. \
        A tool the budget prices (tool_prices) has its price checked against the USD caps and reserved with the \
        other checks, and charged when the command is started: a cost.tracked event of the price naming the tool, \
        appended with tool.call (a step that started is paid, whatever it then does). \
        A command may itself exit 10-22; to tell governance's decision from the command's own status, give \
        --refusal-status N (governance's decisions exit N) or --result-fd FD (a JSON document saying who \
        decided, written to that descriptor).
        """,
        flags: [SharedFlags.agent.required, SharedFlags.sessionOrAgentChain,
                SharedFlags.tool.required.described("The tool this command is (checked against scope, loop and contracts)"), timeout, killGrace, hashStdin, captureOutput,
                refusalStatus, resultFD] + Cost.Check.projectionFlags,
        positionals: [argv],
        examples: ["governance exec --agent billing-agent --tool read_invoice -- ./read-invoice.sh 118",
                   "governance exec -a billing-agent -t charge_customer --timeout 30 --capture-output -- ./charge.sh 118",
                   "governance exec -a billing-agent -t charge_customer --refusal-status 99 -- ./charge.sh 118"],
        needs: .record,
        failures: [.scopeViolation, .noPolicy, .budgetExceeded, .loopDetected, .contractViolation, .invalidInput],
        decide: { args, run, enforcer in
            guard try !args[argv].isEmpty else { throw GovernanceError.usage("give the command after --: governance exec --agent A --tool T -- COMMAND [ARGS...]") }
            try checkResultFD(args)
            let result = try enforcer.execCheck(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session],
                                                tool: try args.require(SharedFlags.tool), argv: try args[argv],
                                                projection: try Cost.Check.projection(args, run))
            guard case .denied(var error) = result.outcome else { return result }
            // A refusal: the result document, and the status the caller chose for refusals.
            try writeResult(args, StepOutcome(run: .refused(error)))
            if let status = try args[refusalStatus] { error.exitCodeOverride = Int32(status) }
            var refused = result
            refused.outcome = .denied(error)
            return refused
        },
        render: { clearance, args, run in try runCommand(args, run, clearance: clearance, failedOpen: false) },
        failOpen: { args, run in try runCommand(args, run, clearance: nil, failedOpen: true) }
    ).runningACommand()

    static func runCommand(_ args: Arguments, _ run: Run, clearance: ExecClearance?, failedOpen: Bool) throws -> Int32 {
        let enforcer = try run.enforcer()
        var stdin: (fd: Int32, sha256: String)?
        defer { if let stdin { close(stdin.fd) } }
        let request: StepRequest, recorder: AuditRecorder
        do {
            if try args.has(hashStdin) { stdin = try HashedStdin.capture() }
            request = StepRequest(agentID: try args.require(SharedFlags.agent), sessionID: try args[SharedFlags.session],
                                  tool: try args.require(SharedFlags.tool), argv: try args[argv], stdin: stdin,
                                  captureOutput: try args.has(captureOutput), timeoutSeconds: try args[timeout].map(Double.init),
                                  killGraceSeconds: Double(try args[killGrace] ?? 10), failOpen: args.failOpen)
            recorder = try run.recorder
        } catch {
            // The step never got to its tool.call: what the check reserved stops counting.
            if let clearance { enforcer.abandon(clearance) }
            throw error
        }
        var outcome = try enforcer.perform(request, reservation: clearance?.reservation, charge: clearance?.charge, recorder: recorder)
        outcome.failedOpen = failedOpen
        for warning in outcome.warnings { run.warn(warning) }
        try writeResult(args, outcome)
        if outcome.governanceDecided, let status = try args[refusalStatus] { return Int32(status) }
        return outcome.exitStatus
    }

    /// `--result-fd` must name a descriptor open for writing before anything runs.
    static func checkResultFD(_ args: Arguments) throws {
        guard let fd = try args[resultFD] else { return }
        let flags = fcntl(Int32(fd), F_GETFL)
        guard flags >= 0, flags & O_ACCMODE != O_RDONLY else {
            throw GovernanceError.usage("--result-fd \(fd) is not a descriptor open for writing", hint: "open it in the shell first, e.g. `3>result.json`")
        }
    }

    static func writeResult(_ args: Arguments, _ outcome: StepOutcome) throws {
        guard let fd = try args[resultFD] else { return }
        let text = JSONWriter.ordered(outcome.json) + "\n"
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(Int32(fd), $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(n)
        }
    }
}

import CSpawn
import Glibc

/// Runs a governed command and keeps every process it starts within reach (`StepContainment`):
/// stdin, stdout and stderr passed through (stdout teed to `outputFD` through a pipe and hashed
/// with `captureOutput`), SIGINT, SIGTERM, SIGHUP and SIGQUIT forwarded to its process group, the
/// terminal handed to the group while it runs (as timeout(1) --foreground). A stop (the kill
/// switch or the timeout) sends every process of the step SIGTERM, then SIGKILL after the grace
/// period; when the command exits, whatever it left running is stopped the same way. The output
/// is drained only while the deadline and the kill switch allow.
public struct ChildProcess {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Ended because the kill switch was set (exit 15) or the timeout passed (exit 124).
        case stopped(reason: StopReason, signal: Int32?, status: Int32?)

        /// The exit status `exec` passes on: the child's, 128+N for a signal.
        public var exitStatus: Int32 {
            switch self {
            case .exited(let code): return code
            case .signaled(let signal): return ExecStatus.signalBase + signal
            case .stopped(let reason, _, _): return reason.exitStatus
            }
        }

        var metadata: [(String, JSONValue)] {
            switch self {
            case .exited(let code): return [("exit_status", .int(Int(code)))]
            case .signaled(let signal): return [("signal", .int(Int(signal)))]
            case .stopped(let reason, let signal, let status):
                var m: [(String, JSONValue)] = [("ended_by", .string(reason.rawValue))]
                if let signal { m.append(("signal", .int(Int(signal)))) }
                if let status { m.append(("exit_status", .int(Int(status)))) }
                return m
            }
        }
    }

    public enum StopReason: String, Sendable {
        case killSwitch = "kill_switch", timeout

        /// 15 (the kill switch's exit code) or 124 (as timeout(1)).
        public var exitStatus: Int32 {
            switch self {
            case .killSwitch: GovernanceError.Kind.agentKilled.exitCode
            case .timeout: ExecStatus.timedOut
            }
        }
    }

    /// Why the command could not be started: 127 not found, 126 not executable, 125 otherwise.
    public struct SpawnFailure: Error {
        public var errno: Int32
        public var exitStatus: Int32 {
            errno == ENOENT || errno == ENOTDIR ? ExecStatus.notFound
                : (errno == EACCES || errno == ENOEXEC || errno == EPERM ? ExecStatus.cannotRun : ExecStatus.failed)
        }
    }

    /// A process of the step that had to be stopped, and the last signal it needed.
    public struct Stopped: Sendable, Equatable {
        public var pid: Int32
        public var name: String
        public var signal: Int32

        var json: JSONValue {
            .object([("pid", .int(Int(pid))), ("name", .string(name)), ("signal", .string(signal == SIGKILL ? "SIGKILL" : "SIGTERM"))])
        }
    }

    public var argv: [String]
    public var stdinFD: Int32 = 0
    public var captureOutput = false
    /// Where captured output is copied to (the caller's stdout by default).
    public var outputFD: Int32 = 1
    /// Without `captureOutput`: the descriptor the command's stdout is, straight (nil: this
    /// process's stdout). A proxy reads its server this way, without a copy through this loop.
    public var stdoutFD: Int32?
    public var timeoutSeconds: Double?
    public var killGraceSeconds: Double = 10
    /// Polled every ~250 ms while the step runs; true ends it (the kill switch).
    public var shouldStop: () -> Bool = { false }
    /// Variables set for the command on top of this process's environment.
    public var environment: [(String, String)] = []

    public init(argv: [String]) { self.argv = argv }

    public struct Finished {
        public var ending: Ending
        public var durationMicroseconds: Int64
        public var stdoutHash: String?
        /// Every process of the step that a stop, or the end of the command, had to signal.
        public var stopped: [Stopped]
        /// Where the step was contained: `cgroup` or `process_tree`.
        public var containment: String
    }

    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    public func run() throws(SpawnFailure) -> Finished {
        // The forwarded signals (and SIGCHLD, SIGTTOU) are blocked here and collected with
        // sigtimedwait; the child starts with an empty mask and default handlers.
        var watched = sigset_t()
        sigemptyset(&watched)
        for signal in Self.forwarded + [SIGCHLD, SIGTTOU] { sigaddset(&watched, signal) }
        var previous = sigset_t()
        sigprocmask(SIG_BLOCK, &watched, &previous)
        defer { sigprocmask(SIG_SETMASK, &previous, nil) }

        var pipeFDs: [Int32] = [-1, -1]
        if captureOutput { _ = governance_pipe_cloexec(&pipeFDs) }
        let containment = StepContainment(name: "governance-step-\(getpid())-\((try? SessionID.random().value) ?? "0")")
        defer { containment.release() }

        let started = Timestamp.now().microseconds
        var pid: pid_t = 0
        let status = spawn(&pid, containment: containment, outputWriteFD: captureOutput ? pipeFDs[1] : (stdoutFD ?? -1),
                           outputReadFD: captureOutput ? pipeFDs[0] : -1)
        if captureOutput { close(pipeFDs[1]) }
        guard status == 0 else {
            if captureOutput { close(pipeFDs[0]) }
            throw SpawnFailure(errno: status)
        }
        containment.started(pid)

        // An interactive child keeps the terminal: its group becomes the foreground group.
        let tty: Int32? = isatty(0) == 1 && tcgetpgrp(0) == getpgrp() ? 0 : nil
        if let tty {
            tcsetpgrp(tty, pid)
            kill(-pid, SIGCONT)
        }
        defer { if let tty { tcsetpgrp(tty, getpgrp()) } }

        var hasher = SHA256Stream()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var outputOpen = captureOutput
        func drain(wait milliseconds: Int32) {
            guard outputOpen else { return }
            var fds = [pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, milliseconds) > 0 else { return }
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n <= 0 {
                if n == 0 || (errno != EINTR && errno != EAGAIN) { outputOpen = false; close(pipeFDs[0]) }
                return
            }
            hasher.update(buffer[0..<n])
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(outputFD, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; break }
                written += w
            }
        }

        let deadline = timeoutSeconds.map { started + Int64($0 * 1_000_000) }
        let grace = Int64(killGraceSeconds * 1_000_000)
        var stop: (reason: StopReason?, at: Int64)?
        var terminated: [Int32: StepContainment.Member] = [:]
        var killed: [StepContainment.Member] = []
        var lastPoll = started
        var wstatus: Int32 = 0
        var exitedAt: Int64?
        while true {
            drain(wait: outputOpen ? 20 : 0)
            var timeout = timespec(tv_sec: 0, tv_nsec: outputOpen ? 0 : 20_000_000)
            let signal = sigtimedwait(&watched, nil, &timeout)
            if Self.forwarded.contains(signal) { kill(-pid, signal) }
            if exitedAt == nil, waitpid(pid, &wstatus, WNOHANG) == pid { exitedAt = Timestamp.now().microseconds }
            let now = Timestamp.now().microseconds
            // The kill switch and the deadline hold until the whole step is over, output included.
            if stop?.reason == nil {
                var reason: StopReason?
                if let deadline, now >= deadline {
                    reason = .timeout
                } else if now - lastPoll >= 250_000 {
                    lastPoll = now
                    if shouldStop() { reason = .killSwitch }
                }
                if let reason {
                    stop = (reason, stop?.at ?? now)
                    for member in containment.signalAll(SIGTERM) { terminated[member.pid] = member }
                }
            }
            if exitedAt != nil {
                let left = containment.members()
                if left.isEmpty {
                    // Nothing of the step can write any more; output still open is held by no one
                    // we can reach, so it is drained only briefly.
                    if !outputOpen || now - (exitedAt ?? now) > 1_000_000 { break }
                    continue
                }
                if stop == nil {
                    // The command is done; what it left running is stopped.
                    stop = (nil, now)
                    for member in containment.signalAll(SIGTERM) { terminated[member.pid] = member }
                }
            }
            if let s = stop, killed.isEmpty, now - s.at >= grace {
                killed = containment.killAll()
                if killed.isEmpty { killed = [StepContainment.Member(pid: 0, name: "")] }
            }
        }
        if outputOpen { close(pipeFDs[0]) }
        let duration = Timestamp.now().microseconds - started
        let exited = wstatus & 0x7f == 0
        let code = (wstatus >> 8) & 0xff
        let signal = wstatus & 0x7f
        let ending: Ending
        if let reason = stop?.reason {
            ending = .stopped(reason: reason, signal: exited ? nil : signal, status: exited ? code : nil)
        } else {
            ending = exited ? .exited(code) : .signaled(signal)
        }
        let killedIDs = Set(killed.map(\.pid))
        var stopped = killed.filter { $0.pid != 0 }.map { Stopped(pid: $0.pid, name: $0.name, signal: SIGKILL) }
        stopped += terminated.values.filter { !killedIDs.contains($0.pid) }.map { Stopped(pid: $0.pid, name: $0.name, signal: SIGTERM) }
        return Finished(ending: ending, durationMicroseconds: duration, stdoutHash: captureOutput ? hasher.finalizeHex() : nil,
                        stopped: stopped.sorted { $0.pid < $1.pid },
                        containment: containment.cgroupPath == nil ? "process_tree" : "cgroup")
    }

    /// Starts the step's first process (CSpawn): its own process group, default signals, SIGKILL
    /// when this process dies, born into the step's cgroup where there is one.
    private func spawn(_ pid: inout pid_t, containment: StepContainment, outputWriteFD: Int32, outputReadFD: Int32) -> Int32 {
        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        // The environment as it is, less the names set here, plus them.
        var inherited: [UnsafeMutablePointer<CChar>?] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !environment.contains(where: { text.hasPrefix($0.0 + "=") }) { inherited.append(strdup(pointer)) }
            entry += 1
        }
        let variables = inherited + environment.map { strdup($0.0 + "=" + $0.1) } + [nil]
        defer { variables.forEach { free($0) } }
        containment.willStart()
        var intoCgroup: Int32 = 0
        let status = arguments.withUnsafeBufferPointer { args in
            variables.withUnsafeBufferPointer { envp in
                var options = governance_spawn_options(file: args[0], argv: args.baseAddress, envp: envp.baseAddress,
                                                       stdin_fd: stdinFD == 0 ? -1 : stdinFD, stdout_fd: outputWriteFD,
                                                       close_fd: outputReadFD, cgroup_fd: containment.cgroupDescriptor,
                                                       pdeathsig: SIGKILL)
                return governance_spawn(&options, &pid, &intoCgroup)
            }
        }
        if status == 0 && intoCgroup == 0 { containment.cgroupUnused() }
        return status
    }
}

/// The statuses `exec` gives when it did not pass on the command's own (as timeout(1) and env(1)).
public enum ExecStatus {
    /// `--timeout` ended the command.
    public static let timedOut: Int32 = 124
    /// `exec` itself failed after the checks (the command could not be started).
    public static let failed: Int32 = 125
    /// The command was found but cannot be run.
    public static let cannotRun: Int32 = 126
    /// The command was not found.
    public static let notFound: Int32 = 127
    /// Added to N when signal N ended the command (128+N, as a shell reports it).
    public static let signalBase: Int32 = 128

    /// The statuses above, named and explained once for the exit-code table, in order.
    public static let documented: [(status: Int32, name: String, meaning: String)] = [
        (timedOut, "timed_out", "exec: --timeout ended the command"),
        (failed, "not_started", "exec: the command could not be started"),
        (cannotRun, "cannot_run", "exec: the command was found but cannot be run"),
        (notFound, "not_found", "exec: the command was not found"),
        (signalBase, "signal", "exec: signal N ended the command"),
    ]
}

/// `--hash-stdin`: stdin copied to an unlinked temporary file (bounded) while hashed, so the hash
/// is in `tool.call` before the command starts and the command reads the same bytes.
public enum HashedStdin {
    public static let maxBytes = 256 << 20

    public static func capture() throws(GovernanceError) -> (fd: Int32, sha256: String) {
        let dir = FileSystem.environment("TMPDIR") ?? "/tmp"
        var template = Array((dir + "/governance-stdin-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .invalid("cannot create a temporary file for stdin in \(dir)") }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        var hasher = SHA256Stream()
        var total = 0
        while let chunk = try FileSystem.readChunk(fd: 0, what: "stdin") {
            total += chunk.count
            guard total <= maxBytes else { close(fd); throw .invalid("stdin is over \(maxBytes >> 20) MiB, the limit for --hash-stdin") }
            hasher.update(chunk)
            var written = 0
            while written < chunk.count {
                let w = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + written, chunk.count - written) }
                if w < 0 { if errno == EINTR { continue }; close(fd); throw .invalid("cannot write stdin to a temporary file") }
                written += w
            }
        }
        lseek(fd, 0, SEEK_SET)
        return (fd, hasher.finalizeHex())
    }
}

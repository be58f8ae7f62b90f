import Glibc

/// Runs a governed command: posix_spawnp in its own process group with stdin, stdout and stderr
/// passed through (stdout teed through a pipe and hashed with `captureOutput`), SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT forwarded to the group, the terminal handed to the group while it runs
/// (as timeout(1) --foreground), and a stop (kill switch or timeout) that sends the group
/// SIGTERM, then SIGKILL after the grace period.
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
            case .signaled(let signal): return 128 + signal
            case .stopped(let reason, _, _): return reason == .killSwitch ? 15 : 124
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

    public enum StopReason: String, Sendable { case killSwitch = "kill_switch", timeout }

    /// Why the command could not be started: 127 not found, 126 not executable, 125 otherwise.
    public struct SpawnFailure: Error {
        public var errno: Int32
        public var exitStatus: Int32 { errno == ENOENT || errno == ENOTDIR ? 127 : (errno == EACCES || errno == ENOEXEC || errno == EPERM ? 126 : 125) }
    }

    public var argv: [String]
    public var stdinFD: Int32 = 0
    public var captureOutput = false
    public var timeoutSeconds: Double?
    public var killGraceSeconds: Double = 10
    /// Polled every ~250 ms while the child runs; true ends it (the kill switch).
    public var shouldStop: () -> Bool = { false }

    public init(argv: [String]) { self.argv = argv }

    public struct Finished {
        public var ending: Ending
        public var durationMicroseconds: Int64
        public var stdoutHash: String?
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
        if captureOutput { _ = pipe(&pipeFDs) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinFD != 0 { posix_spawn_file_actions_adddup2(&actions, stdinFD, 0) }
        if captureOutput {
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
            posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
            posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.configure(&attributes)

        let started = Timestamp.now().microseconds
        var pid: pid_t = 0
        let pointers = argv.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let status = posix_spawnp(&pid, argv[0], &actions, &attributes, pointers + [nil], environ)
        if captureOutput { close(pipeFDs[1]) }
        guard status == 0 else {
            if captureOutput { close(pipeFDs[0]) }
            throw SpawnFailure(errno: status)
        }

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
                let w = buffer.withUnsafeBytes { write(1, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; break }
                written += w
            }
        }

        let deadline = timeoutSeconds.map { started + Int64($0 * 1_000_000) }
        var stop: (reason: StopReason, at: Int64)?
        var sentKill = false
        var lastPoll = started
        var wstatus: Int32 = 0
        while true {
            drain(wait: outputOpen ? 20 : 0)
            var timeout = timespec(tv_sec: 0, tv_nsec: outputOpen ? 0 : 50_000_000)
            let signal = sigtimedwait(&watched, nil, &timeout)
            if Self.forwarded.contains(signal) { kill(-pid, signal) }
            let r = waitpid(pid, &wstatus, WNOHANG)
            if r == pid { break }
            let now = Timestamp.now().microseconds
            if stop == nil {
                if let deadline, now >= deadline {
                    stop = (.timeout, now)
                } else if now - lastPoll >= 250_000 {
                    lastPoll = now
                    if shouldStop() { stop = (.killSwitch, now) }
                }
                if stop != nil { kill(-pid, SIGTERM) }
            } else if let s = stop, !sentKill, now - s.at >= Int64(killGraceSeconds * 1_000_000) {
                kill(-pid, SIGKILL)
                sentKill = true
            }
        }
        while outputOpen { drain(wait: 100) }
        let duration = Timestamp.now().microseconds - started
        let exited = wstatus & 0x7f == 0
        let code = (wstatus >> 8) & 0xff
        let signal = wstatus & 0x7f
        let ending: Ending
        if let stop {
            ending = .stopped(reason: stop.reason, signal: exited ? nil : signal, status: exited ? code : nil)
        } else {
            ending = exited ? .exited(code) : .signaled(signal)
        }
        return Finished(ending: ending, durationMicroseconds: duration, stdoutHash: captureOutput ? hasher.finalizeHex() : nil)
    }
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

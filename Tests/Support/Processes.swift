import Foundation
#if canImport(Glibc)
import Glibc
#endif

private let spawnLock = NSLock()

/// A child that exits before reading the stdin a test writes to it must fail that write with EPIPE,
/// not end the whole test runner with SIGPIPE (which leaves no report of which test it was).
private let brokenPipesFailWrites: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// The result of running a program.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// A child process started with posix_spawn, its stdout (and optionally stdin) on pipes.
/// (Foundation's Process on Linux can miss a child's exit when the child leaves a daemon behind,
/// as `pg_ctl start` does, so the tests use the system calls directly.)
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let stdoutFD: Int32
    public let stderrFD: Int32
    private let stdinFD: Int32
    private var reaped: Int32?

    public init(_ executable: String, _ arguments: [String], environment: [String: String], captureStderr: Bool = true) throws {
        _ = brokenPipesFailWrites
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0], inPipe: [Int32] = [0, 0]
        // Close-on-exec, so that a child spawned at the same moment by another test does not
        // inherit these pipes and hold them open (dup2 onto 0, 1, 2 clears the flag for ours).
        // Spawning is serialised so no child starts between pipe() and fcntl().
        spawnLock.lock()
        defer { spawnLock.unlock() }
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&inPipe) == 0 else { throw TestSetupError("pipe failed") }
        for fd in outPipe + errPipe + inPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        if captureStderr {
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        for fd in [inPipe[0], inPipe[1], outPipe[0], outPipe[1], errPipe[0], errPipe[1]] {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        // The test runner's threads block signals; a child must start with none blocked and the
        // default actions, or SIGTERM would not stop it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw TestSetupError("cannot run \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
        stdinFD = inPipe[1]
    }

    /// Writes `text` to the child's stdin and closes it.
    public func send(_ text: String?) {
        if let text { feed(text) }
        close(stdinFD)
    }

    /// Writes `text` to the child's stdin and keeps it open: the child waits for more.
    public func feed(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Reads stdout and stderr to their ends, then waits for the child.
    public func finish() -> ProcessResult {
        var out: [UInt8] = [], err: [UInt8] = []
        var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { break } }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if i == 0 { out += buffer[0..<n] } else { err += buffer[0..<n] }
                } else {
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        return ProcessResult(status: wait(), stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Waits for the child; its exit status, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        if let reaped { return reaped }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        reaped = code
        return code
    }

    public func signal(_ number: Int32) { kill(pid, number) }

    /// True while the child has not exited.
    public var isRunning: Bool {
        guard reaped == nil else { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            reaped = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return false
        }
        return true
    }
}

/// Runs a program to completion with the given environment and standard input.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> ProcessResult {
    let child = try SpawnedProcess(executable, arguments, environment: environment)
    // Feed stdin from another thread so a child that writes a lot before reading cannot block us.
    let feeder = Thread { child.send(stdin) }
    feeder.start()
    return child.finish()
}

/// The built `governance` binary: $GOVERNANCE_BIN (set by `make test`), else .build/debug.
public func governanceBinary() -> String {
    if let path = ProcessInfo.processInfo.environment["GOVERNANCE_BIN"], !path.isEmpty { return path }
    return packageRoot() + "/.build/debug/governance"
}

/// A minimal environment for the binary: nothing from the developer's shell leaks in.
public func cleanEnvironment(home: String, extra: [String: String] = [:]) -> [String: String] {
    var env = ["PATH": "/usr/bin:/bin", "HOME": home, "GOVERNANCE_HOME": home, "LANG": "C.UTF-8"]
    for (k, v) in extra { env[k] = v }
    return env
}

/// Opens a FIFO for writing after `seconds`, then closes it: a process blocked opening or reading
/// it goes on, so a test of "a FIFO is refused" fails slowly instead of hanging the suite.
public func unblockFIFO(_ fifo: String, after seconds: Double) {
    Thread.detachNewThread {
        Thread.sleep(forTimeInterval: seconds)
        let fd = open(fifo, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
    }
}

/// True while process `pid` is blocked in the store's change wait (`SQLConnection.waitForChange`):
/// SQLite sleeps between reads of its change counter (clock_nanosleep or nanosleep), PostgreSQL
/// polls its socket for a notification with a timeout of at most a second (libpq's own polls,
/// while connecting, have none). Read from /proc/PID/syscall; the CLI runs on one thread.
public func isBlockedInChangeWait(_ pid: pid_t) -> Bool {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8) else { return false }
    let fields = text.split(separator: " ")
    guard let number = fields.first.flatMap({ Int($0) }) else { return false }
    switch number {
    case 35, 230: return true
    case 7:
        guard fields.count > 3, let timeout = Int(fields[3].dropFirst(2), radix: 16) else { return false }
        return timeout > 0 && timeout <= 1000
    default: return false
    }
}

/// Waits for `condition` (a state, not a time), checking every 20 ms for up to `seconds`; its last value.
public func waitUntil(_ seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

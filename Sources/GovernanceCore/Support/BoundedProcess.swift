import CSpawn
import Glibc

/// A short helper program that must not hold up the command that runs it (a contract's custom
/// check, a notification hook): started in a process group of its own with the usual signals at
/// their defaults, its stdout sent to our stderr (the command's own output stays ours), and, when
/// it outlives its deadline, its whole group killed.
enum BoundedProcess {
    /// The environment (without `removing`, with `extra`) and the program's argv: nil when it
    /// passed (exit 0 in time), else why not.
    static func run(program: String, argv: [String], environment extra: [(String, String)], removing: [String] = [],
                    stdinBytes: [UInt8]? = nil, timeoutSeconds: Double) -> String? {
        var env: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(decoding: UnsafeRawBufferPointer(start: entry, count: strlen(entry)), as: UTF8.self)
            let name = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
            if !extra.contains(where: { $0.0 == name }) && !removing.contains(name) { env.append(text) }
            index += 1
        }
        env += extra.map { "\($0.0)=\($0.1)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The input is written whole before the program starts (it fits a pipe's buffer), so a
        // program that never reads it cannot block us, and one that exits early cannot raise SIGPIPE.
        var pipeFDs: [Int32] = [-1, -1]
        if let stdinBytes {
            guard stdinBytes.count <= 16_384 else { return "its input is too large (\(stdinBytes.count) bytes)" }
            guard governance_pipe_cloexec(&pipeFDs) == 0 else { return "no pipe for its input (\(errnoMessage()))" }
            defer { if pipeFDs[1] >= 0 { FileSystem.close(pipeFDs[1]) } }
            let wrote = stdinBytes.withUnsafeBytes { Glibc.write(pipeFDs[1], $0.baseAddress, $0.count) }
            guard wrote == stdinBytes.count else {
                FileSystem.close(pipeFDs[0])
                return "its input could not be written (\(errnoMessage()))"
            }
            FileSystem.close(pipeFDs[1])
            pipeFDs[1] = -1
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        defer { if pipeFDs[0] >= 0 { FileSystem.close(pipeFDs[0]) } }
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.configure(&attributes)

        var pid: pid_t = 0
        let status = withCStrings(argv) { cargv in
            withCStrings(env) { cenv in posix_spawn(&pid, program, &actions, &attributes, cargv, cenv) }
        }
        guard status == 0 else { return "\(quoted(program)) could not be started (errno \(status))" }

        let deadline = Timestamp.now().microseconds + Int64(timeoutSeconds * 1_000_000)
        var wstatus: Int32 = 0
        while true {
            let r = waitpid(pid, &wstatus, WNOHANG)
            if r == pid { break }
            if r < 0, errno != EINTR { return "\(quoted(program)) could not be waited for" }
            if Timestamp.now().microseconds >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &wstatus, 0) < 0, errno == EINTR {}
                return "\(quoted(program)) did not finish within \(Self.seconds(timeoutSeconds)) s and was killed"
            }
            usleep(5_000)
        }
        if wstatus & 0x7f == 0 {
            let code = (wstatus >> 8) & 0xff
            return code == 0 ? nil : "\(quoted(program)) exited \(code)"
        }
        return "\(quoted(program)) was ended by signal \(wstatus & 0x7f)"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(Double(Int64(value * 10)) / 10)
    }

    /// A NULL-terminated array of C strings alive for `body`.
    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return body(pointers + [nil])
    }
}

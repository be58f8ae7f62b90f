import Glibc

/// A `custom` contract condition: the argv run without a shell, the program by its absolute path
/// (never through PATH or the caller's working directory, which the agent may control), in its own process group, with
/// stdin from /dev/null, its stdout sent to our stderr (the command's own output stays ours), the
/// environment plus the agent, session and tool. Exit 0 within the timeout passes; anything else
/// fails, and on timeout the whole group is killed.
enum CustomCheck {
    struct Result {
        /// nil when the check passed.
        var failure: String?
    }

    static func run(_ argv: [String], timeoutSeconds: Int64, environment extra: [(String, String)]) -> Result {
        guard let program = argv.first else { return Result(failure: "the command is empty") }
        guard isAbsolute(program) else { return Result(failure: "\(quoted(program)) is not an absolute path, so it is not run") }
        var env: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(decoding: UnsafeRawBufferPointer(start: entry, count: strlen(entry)), as: UTF8.self)
            if !extra.contains(where: { text.hasPrefix($0.0 + "=") }) { env.append(text) }
            index += 1
        }
        env += extra.map { "\($0.0)=\($0.1)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.configure(&attributes)

        var pid: pid_t = 0
        let status = withCStrings(argv) { cargv in
            withCStrings(env) { cenv in posix_spawn(&pid, program, &actions, &attributes, cargv, cenv) }
        }
        guard status == 0 else { return Result(failure: "\(quoted(program)) could not be started (errno \(status))") }

        let deadline = Timestamp.now().microseconds + timeoutSeconds * 1_000_000
        var wstatus: Int32 = 0
        while true {
            let r = waitpid(pid, &wstatus, WNOHANG)
            if r == pid { break }
            if r < 0, errno != EINTR { return Result(failure: "\(quoted(program)) could not be waited for") }
            if Timestamp.now().microseconds >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &wstatus, 0) < 0, errno == EINTR {}
                return Result(failure: "\(quoted(program)) did not finish within \(timeoutSeconds) s and was killed")
            }
            usleep(5_000)
        }
        let exited = wstatus & 0x7f == 0
        if exited {
            let code = (wstatus >> 8) & 0xff
            return Result(failure: code == 0 ? nil : "\(quoted(program)) exited \(code)")
        }
        return Result(failure: "\(quoted(program)) was ended by signal \(wstatus & 0x7f)")
    }

    static func isAbsolute(_ program: String) -> Bool { program.utf8.first == UInt8(ascii: "/") }

    /// A NULL-terminated array of C strings alive for `body`.
    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return body(pointers + [nil])
    }
}

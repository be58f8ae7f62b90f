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
        return Result(failure: BoundedProcess.run(program: program, argv: argv, environment: extra, timeoutSeconds: Double(timeoutSeconds)))
    }

    static func isAbsolute(_ program: String) -> Bool { program.utf8.first == UInt8(ascii: "/") }
}

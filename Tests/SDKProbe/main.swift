import Glibc
import GovernanceCore

// Runs one governed step through the Swift API in a process of its own, for the end-to-end
// tests: a step's supervisor adopts and stops the children it did not have when the step began,
// which in the test runner would include other tests' processes.
//   governance-sdk-probe step AGENT TOOL -- COMMAND [ARGS...]
// Prints the outcome's JSON document and exits with its `exitStatus`, as `governance exec` does.
//   governance-sdk-probe child TIMEOUT STOP_FILE CAPTURE -- COMMAND [ARGS...]
// Runs `ChildProcess` directly (TIMEOUT 0: none; the kill switch is "STOP_FILE exists"; CAPTURE
// 1 tees stdout) and prints how it ended as JSON.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "child", arguments.count >= 6, arguments[4] == "--" {
    exit(child(arguments))
}
guard arguments.count >= 5, arguments[0] == "step", arguments[3] == "--" else {
    say("usage: governance-sdk-probe step AGENT TOOL -- COMMAND [ARGS...]\n")
    exit(2)
}
exit(probe(arguments))

func probe(_ arguments: [String]) -> Int32 {
    let semaphore = DispatchlessSemaphore()
    let result = StatusBox()
    Task.detached {
        do {
            let governance = try Governance()
            let outcome = try await governance.step(StepRequest(agentID: arguments[1], tool: arguments[2], argv: Array(arguments[4...])))
            for warning in outcome.warnings { say("warning: \(warning)\n") }
            print(JSONWriter.ordered(outcome.json))
            result.status = outcome.exitStatus
        } catch let error as GovernanceError {
            say("error: \(error.message)\n")
            result.status = error.exitCode
        } catch {
            say("error: \(error)\n")
        }
        semaphore.signal()
    }
    semaphore.wait()
    return result.status
}

func child(_ arguments: [String]) -> Int32 {
    var process = ChildProcess(argv: Array(arguments[5...]))
    let timeout = Double(arguments[1]) ?? 0
    process.timeoutSeconds = timeout > 0 ? timeout : nil
    process.killGraceSeconds = 1
    process.captureOutput = arguments[3] == "1"
    let stopFile = arguments[2]
    process.shouldStop = { access(stopFile, F_OK) == 0 }
    do {
        let finished = try process.run()
        let ending: JSONValue = switch finished.ending {
        case .exited(let code): .object([("exited", .int(Int(code)))])
        case .signaled(let signal): .object([("signaled", .int(Int(signal)))])
        case .stopped(let reason, _, _): .object([("stopped", .string(reason.rawValue))])
        }
        print(JSONWriter.ordered(.object([("ending", ending), ("exit_status", .int(Int(finished.ending.exitStatus))),
                                          ("stdout_sha256", .optional(finished.stdoutHash)),
                                          ("stopped", .array(finished.stopped.map { .string($0.name) })),
                                          ("containment", .string(finished.containment))])))
        return 0
    } catch {
        print(JSONWriter.ordered(.object([("spawn_errno", .int(Int(error.errno))), ("exit_status", .int(Int(error.exitStatus)))])))
        return 0
    }
}

/// Written by the task before it signals, read after the wait.
final class StatusBox: @unchecked Sendable { var status: Int32 = 1 }

/// The main thread waits here for the task (no Foundation, no Dispatch).
final class DispatchlessSemaphore: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var done = false
    init() { pthread_mutex_init(&mutex, nil); pthread_cond_init(&condition, nil) }
    func signal() { pthread_mutex_lock(&mutex); done = true; pthread_cond_signal(&condition); pthread_mutex_unlock(&mutex) }
    func wait() { pthread_mutex_lock(&mutex); while !done { pthread_cond_wait(&condition, &mutex) }; pthread_mutex_unlock(&mutex) }
}

/// One line on stderr.
func say(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

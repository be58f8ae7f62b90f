import Foundation

/// The result of running a program.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a program to completion with the given environment and standard input.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String], stdin: String? = nil,
                       currentDirectory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    // Read both pipes while the child runs so neither fills up and blocks it.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
    group.wait()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
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

import Glibc
import GovernanceCore

/// Where a command's output goes. The real console writes to the process's stdout and stderr;
/// tests pass closures that capture.
public final class Console: @unchecked Sendable {
    private let writeOut: (String) -> Void
    private let writeErr: (String) -> Void
    private let flushOut: () -> Void
    /// The next chunk of standard input, nil at its end.
    private let readInput: () throws -> [UInt8]?
    /// Progress lines are drawn only for a person watching a terminal.
    public let stderrIsTerminal: Bool
    /// Interactive commands (`gates review`) ask only a person at a terminal.
    public let stdinIsTerminal: Bool
    private var stdinConsumed = false

    public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, flush: @escaping () -> Void = {},
                stdin: @escaping () throws -> [UInt8]? = { nil }, stderrIsTerminal: Bool = false, stdinIsTerminal: Bool = false) {
        writeOut = out
        writeErr = err
        flushOut = flush
        readInput = stdin
        self.stderrIsTerminal = stderrIsTerminal
        self.stdinIsTerminal = stdinIsTerminal
    }

    /// The process's own streams: stdout buffered (a stream of a million JSON lines must not make
    /// a write(2) per line), stderr unbuffered.
    public static func standard() -> Console {
        let out = FileDescriptorWriter(fd: 1)
        return Console(
            out: { out.write($0) },
            err: { text in
                out.flush()
                FileDescriptorWriter.writeAll(fd: 2, Array(text.utf8))
            },
            flush: { out.flush() },
            stdin: { try FileSystem.readChunk(fd: 0, what: "standard input") },
            stderrIsTerminal: isatty(2) == 1, stdinIsTerminal: isatty(0) == 1)
    }

    public func line(_ text: String) { writeOut(text + "\n") }
    public func write(_ text: String) { writeOut(text) }
    public func flush() { flushOut() }
    public func errorLine(_ text: String) { writeErr(text + "\n") }
    /// A prompt on stderr, without a line ending.
    public func writeError(_ text: String) { writeErr(text) }

    /// A warning on stderr (`governance: warning: ...`).
    public func warn(_ text: String) { writeErr("governance: warning: \(text)\n") }

    /// A progress line that rewrites itself on a terminal; nothing elsewhere.
    public func progress(_ text: String) {
        if stderrIsTerminal { writeErr("\r\u{1B}[K" + text) }
    }

    public func endProgress() {
        if stderrIsTerminal { writeErr("\r\u{1B}[K") }
    }

    /// Standard input line by line (without the line ending), nil at its end; lines longer than
    /// `limit` bytes are cut. For answers typed at a terminal.
    public func stdinLines(limit: Int = 4096) throws -> () throws -> String? {
        let next = try stdinChunks()
        var buffer: [UInt8] = []
        var ended = false
        return {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(buffer[..<newline].prefix(limit))
                    buffer.removeSubrange(...newline)
                    return String(decoding: line.last == 0x0D ? line.dropLast() : line[...], as: UTF8.self)
                }
                if ended {
                    guard !buffer.isEmpty else { return nil }
                    defer { buffer.removeAll() }
                    return String(decoding: buffer.prefix(limit), as: UTF8.self)
                }
                if let chunk = try next() {
                    buffer += chunk
                    if buffer.count > limit * 4, !buffer.contains(UInt8(ascii: "\n")) { buffer.removeFirst(buffer.count - limit) }
                } else {
                    ended = true
                }
            }
        }
    }

    /// Standard input, read once: a second `-` in one command is an error.
    public func readStdin() throws -> [UInt8] {
        let next = try stdinChunks()
        var all: [UInt8] = []
        while let chunk = try next() { all += chunk }
        return all
    }

    /// Standard input as it arrives, chunk by chunk (for inputs too large to hold at once).
    public func stdinChunks() throws -> () throws -> [UInt8]? {
        guard !stdinConsumed else {
            throw GovernanceError.usage("standard input (-) can be read only once per command")
        }
        stdinConsumed = true
        return readInput
    }
}

/// A small write buffer over a file descriptor.
final class FileDescriptorWriter: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 16

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(Self.capacity)
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.capacity { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        Self.writeAll(fd: fd, buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// False (errno set) when a write failed; for the console, a closed pipe means nothing more
    /// can be said, so its callers ignore it.
    @discardableResult
    static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}

/// Splits a stream of byte chunks into lines (without their `\n`; a trailing `\r` is dropped too,
/// at the end of the stream as before a `\n`), holding at most one chunk and one line of at most
/// `maxLineBytes` (and the `\r` that may end it) at a time. A longer line is
/// skipped to its end and reported as `.tooLong`, so a newline-less stream cannot grow memory
/// without bound; each byte is scanned once, whatever the line's length.
public struct LineReader {
    public enum Line {
        case line(ArraySlice<UInt8>)
        /// The line was longer than the limit; its bytes were skipped.
        case tooLong
    }

    private let next: () throws -> [UInt8]?
    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var position = 0
    /// Where the search for the next newline resumes (bytes before it hold none).
    private var scanned = 0
    private var finished = false
    /// Skipping the rest of an over-long line.
    private var discarding = false
    /// The number of the line last returned, from 1.
    public private(set) var lineNumber = 0

    public init(maxLineBytes: Int = 1 << 20, _ next: @escaping () throws -> [UInt8]?) {
        self.maxLineBytes = maxLineBytes
        self.next = next
    }

    public mutating func nextLine() throws -> Line? {
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                var line = buffer[position..<newline]
                position = newline + 1
                scanned = position
                lineNumber += 1
                if discarding {
                    discarding = false
                    return .tooLong
                }
                if line.last == 0x0D { line = line.dropLast() }
                return line.count > maxLineBytes ? .tooLong : .line(line)
            }
            scanned = buffer.count
            if finished {
                guard position < buffer.count || discarding else { return nil }
                var line = buffer[position...]
                position = buffer.count
                scanned = position
                lineNumber += 1
                if discarding {
                    discarding = false
                    return .tooLong
                }
                if line.last == 0x0D { line = line.dropLast() }
                return line.count > maxLineBytes ? .tooLong : .line(line)
            }
            // Keep the unfinished line (or drop it, past the limit and the `\r` that may end a
            // line of exactly the limit) and read more.
            buffer.removeSubrange(0..<position)
            scanned -= position
            position = 0
            if buffer.count > maxLineBytes + 1 {
                discarding = true
                buffer.removeAll(keepingCapacity: true)
                scanned = 0
            }
            if let chunk = try next() { buffer += chunk } else { finished = true }
        }
    }
}

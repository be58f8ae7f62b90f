/// Splits a stream of byte chunks into lines (without their `\n`; a trailing `\r` is dropped too),
/// holding only one chunk and one line at a time.
public struct LineReader {
    private let next: () throws -> [UInt8]?
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    /// The number of the line last returned, from 1.
    public private(set) var lineNumber = 0

    public init(_ next: @escaping () throws -> [UInt8]?) { self.next = next }

    public mutating func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var line = buffer[position..<newline]
                position = newline + 1
                if line.last == 0x0D { line = line.dropLast() }
                lineNumber += 1
                return line
            }
            if finished {
                guard position < buffer.count else { return nil }
                let line = buffer[position...]
                position = buffer.count
                lineNumber += 1
                return line
            }
            // Keep the unfinished line and read more.
            buffer.removeSubrange(0..<position)
            position = 0
            if let chunk = try next() { buffer += chunk } else { finished = true }
        }
    }
}

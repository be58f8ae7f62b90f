/// Writes bytes into memory the caller has already sized. The audit chain encodes every row it
/// appends or verifies; writing through a pointer instead of appending to an array piece by piece
/// keeps that encoding cheaper than hashing it.
public struct ByteCursor {
    public let start: UnsafeMutablePointer<UInt8>
    public private(set) var position: UnsafeMutablePointer<UInt8>

    public init(_ start: UnsafeMutablePointer<UInt8>) {
        self.start = start
        position = start
    }

    public var count: Int { position - start }

    @inline(__always) public mutating func write(_ byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    @inline(__always) public mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    @inline(__always) public mutating func write(_ literal: StaticString) {
        write(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A string's UTF-8 bytes, unescaped.
    @inline(__always) public mutating func writeUTF8(_ s: String) {
        var s = s
        s.withUTF8 { write($0) }
    }

    /// The most bytes `writeJSONString` can produce for `s`: every byte escaped as `\u00xx`.
    public static func jsonStringCapacity(_ s: String) -> Int { s.utf8.count * 6 + 2 }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// RFC 8785 §3.2.2.2: escape `"`, `\` and the C0 controls (short forms where JSON has them,
    /// otherwise `\u00xx` in lowercase); every other character, U+2028 included, is written as is.
    public mutating func writeJSONString(_ s: String) {
        write(0x22)
        var s = s
        s.withUTF8 { bytes in
            if !Self.needsEscaping(bytes) {
                write(bytes)
                return
            }
            var clean = 0  // the start of the run not yet written
            for i in 0..<bytes.count {
                let byte = bytes[i]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
                write(UnsafeBufferPointer(rebasing: bytes[clean..<i]))
                clean = i + 1
                write(0x5C)
                switch byte {
                case 0x22, 0x5C: write(byte)
                case 0x08: write(UInt8(ascii: "b"))
                case 0x0C: write(UInt8(ascii: "f"))
                case 0x0A: write(UInt8(ascii: "n"))
                case 0x0D: write(UInt8(ascii: "r"))
                case 0x09: write(UInt8(ascii: "t"))
                default:
                    write("u00")
                    write(Self.hexDigits.utf8Start[Int(byte >> 4)])
                    write(Self.hexDigits.utf8Start[Int(byte & 0xF)])
                }
            }
            write(UnsafeBufferPointer(rebasing: bytes[clean...]))
        }
        write(0x22)
    }

    /// True when any byte is below 0x20, `"` or `\`. Eight bytes at a time: most strings in the
    /// chain (ids, hashes) have nothing to escape and are copied whole.
    @inline(__always) static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i + 8 <= bytes.count {
            let w = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
            // A byte below n sets its high bit in (w - n) & ~w (exact for n <= 0x80).
            let found = ((w &- ones &* 0x20) & ~w) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
            if found & highs != 0 { return true }
            i += 8
        }
        while i < bytes.count {
            let byte = base[i]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { return true }
            i += 1
        }
        return false
    }

    /// A decimal integer (at most 20 bytes).
    public mutating func writeInteger(_ value: Int64) {
        if value < 0 { write(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat { digits += 1; probe /= 10 } while probe > 0
        var i = digits - 1
        repeat {
            position[i] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
            magnitude /= 10
            i -= 1
        } while magnitude > 0
        position += digits
    }

    /// A non-negative number in exactly `width` digits, with leading zeros.
    @inline(__always) public mutating func writeDigits(_ value: Int64, width: Int) {
        var v = value
        var i = width - 1
        while i >= 0 {
            position[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
            v /= 10
            i -= 1
        }
        position += width
    }
}

extension Array where Element == UInt8 {
    /// Appends what `body` writes, given room for at most `capacity` bytes.
    public mutating func appendWriting(capacity: Int, _ body: (inout ByteCursor) -> Void) {
        let old = count
        append(contentsOf: repeatElement(0, count: capacity))
        let written = withUnsafeMutableBufferPointer { buffer -> Int in
            var cursor = ByteCursor(buffer.baseAddress! + old)
            body(&cursor)
            return cursor.count
        }
        removeLast(capacity - written)
    }
}

public enum Hex {
    /// Lowercase hexadecimal. Written straight into the string's storage: the chain encodes a MAC
    /// per appended event.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for b in bytes {
                guard i + 1 < out.count else { break }  // bounded by the room made, whatever the collection yields
                out[i] = digit(b >> 4)
                out[i + 1] = digit(b & 0xF)
                i += 2
            }
            return i
        }
    }

    /// The same for bytes in memory, as the chain encodes a MAC per appended event: the digits
    /// are written to the stack and copied into the string at once.
    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, bytes.count * 2)) { out in
            for i in 0..<bytes.count {
                out[2 * i] = digit(bytes[i] >> 4)
                out[2 * i + 1] = digit(bytes[i] & 0xF)
            }
            return String(decoding: UnsafeBufferPointer(rebasing: out[0..<bytes.count * 2]), as: UTF8.self)
        }
    }

    /// The value of a hexadecimal digit in either case; nil for any other byte.
    public static func digitValue(_ byte: UInt8) -> UInt8? { hexDigitValue(byte) }

    @inline(__always) static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// True when `text` is exactly `length` lowercase hexadecimal characters.
    /// The bytes of lowercase hex; nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x57
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    public static func isLowercaseHex(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

public enum Hex {
    /// Lowercase hexadecimal. Written straight into the string's storage: the chain encodes a MAC
    /// per appended event.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            guard let start = out.baseAddress else { return 0 }
            var position = start
            // Bounded by the room made, whatever the collection yields.
            for b in bytes.prefix(out.count / 2) {
                position[0] = digit(b >> 4)
                position[1] = digit(b & 0xF)
                position += 2
            }
            return position - start
        }
    }

    @inline(__always) static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// True when `text` is exactly `length` lowercase hexadecimal characters.
    public static func isLowercaseHex(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

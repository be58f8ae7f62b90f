extension String {
    /// The text without leading and trailing spaces and tabs (names read from lines and metadata).
    public var trimmingSpaces: Substring {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}

extension ArraySlice where Element == UInt8 {
    /// The bytes less one trailing `\n` or `\r\n`: a secret file, a token read from stdin.
    public var droppingOneLineEnding: ArraySlice<UInt8> {
        guard last == 0x0A else { return self }
        let rest = dropLast()
        return rest.last == 0x0D ? rest.dropLast() : rest
    }
}

import GovernanceCore
import Testing

/// `TerminalText.escaped`: what reaches a terminal from a store or a user cannot steer it.
@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("plain-agent", "plain-agent"),
        ("héllo wörld ✓ 日本", "héllo wörld ✓ 日本"),
        ("a\nb", "a\\nb"),
        ("a\r\tb", "a\\r\\tb"),
        ("\u{1b}]0;owned\u{7}", "\\x1b]0;owned\\x07"),
        ("\u{0}", "\\x00"),
        ("del\u{7f}", "del\\x7f"),
        ("c1\u{85}\u{9b}", "c1\\u{85}\\u{9b}"),
        ("back\\slash", "back\\\\slash"),
        ("rtl\u{202e}txt", "rtl\\u{202e}txt"),
        ("line\u{2028}sep", "line\\u{2028}sep"),
        // Invisible characters that would let one id pass for another.
        ("billing\u{200b}-agent", "billing\\u{200b}-agent"),
        ("soft\u{ad}hyphen", "soft\\u{ad}hyphen"),
        ("filler\u{3164}\u{115f}", "filler\\u{3164}\\u{115f}"),
        ("tag\u{e0041}", "tag\\u{e0041}"),
        ("joiner\u{2060}", "joiner\\u{2060}"),
    ])
    func escapes(input: String, expected: String) {
        #expect(TerminalText.escaped(input) == expected)
    }

    @Test func escapedTextHoldsNoControlCharacter() {
        var all = ""
        for v in 0..<0x100 { all.unicodeScalars.append(Unicode.Scalar(UInt8(v))) }
        let escaped = TerminalText.escaped(all)
        #expect(!escaped.unicodeScalars.contains { Identifier.isControl($0) })
    }

    @Test func invalidUTF8BytesAreShownAsHex() {
        #expect(TerminalText.escaped(bytes: [0x61, 0xFF, 0x62, 0xC3]) == "a\\xffb\\xc3")
        #expect(TerminalText.escaped(bytes: Array("é\u{1b}".utf8)) == "é\\x1b")
        #expect(TerminalText.escaped(bytes: [0xE2, 0x82]) == "\\xe2\\x82")
    }

    @Test func identifierErrorsNameTheFieldAndShowTheCharacterEscaped() {
        #expect {
            try Identifier.check("ok\u{1b}[31m", field: "operator", maxBytes: 256)
        } throws: { error in
            let message = (error as? GovernanceError)?.message ?? ""
            return message.hasPrefix("operator") && message.contains("\\x1b") && !message.contains("\u{1b}")
                && (error as? GovernanceError)?.exitCode == 2
        }
        #expect(throws: GovernanceError.self) { try Identifier.check("", field: "tool", maxBytes: 256) }
        #expect(throws: GovernanceError.self) { try Identifier.check(String(repeating: "ü", count: 129), field: "tool", maxBytes: 256) }
        #expect(throws: Never.self) { try Identifier.check(String(repeating: "ü", count: 128), field: "tool", maxBytes: 256) }
    }
}

@Suite struct TerminalTextJSONTests {
    /// Canonical JSON keeps its own backslash escapes as they are, and still cannot carry a raw
    /// control, line separator or bidirectional override to the terminal.
    @Test func jsonKeepsItsEscapesButNotRawControls() {
        #expect(TerminalText.escaped(#"{"a":"say \"hi\""}"#, backslashes: false) == #"{"a":"say \"hi\""}"#)
        #expect(TerminalText.escaped("{\"a\":\"x\u{202E}y\u{2028}\"}", backslashes: false) == #"{"a":"x\u{202e}y\u{2028}"}"#)
        #expect(TerminalText.escaped(#"a\b"#) == #"a\\b"#)
    }
}

/// Limits in messages are named in whole units, never rounded to `0 MiB`.
@Suite struct ByteSizeTests {
    @Test(arguments: [(65_536, "64 KiB"), (1 << 20, "1 MiB"), (16 << 20, "16 MiB"), (1_000, "1,000 bytes"), (1, "1 byte"), (1_536, "1,536 bytes")])
    func sizes(n: Int, expected: String) {
        #expect(byteSize(n) == expected)
    }
}

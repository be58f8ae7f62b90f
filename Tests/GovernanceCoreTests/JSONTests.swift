import GovernanceCore
import Testing

@Suite struct JSONTests {
    @Test(arguments: [
        (1.0, "1"), (-0.0, "0"), (100, "100"), (0.1, "0.1"), (2.5, "2.5"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
        (1e-7, "1e-7"), (1e-6, "0.000001"), (123456789012345680000.0, "123456789012345680000"), (-1.5e-9, "-1.5e-9"),
        (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (9007199254740991, "9007199254740991"),
        (0.000001234, "0.000001234"), (1.5e300, "1.5e+300"), (333333333.33333329, "333333333.3333333"), (4.35, "4.35"),
    ] as [(Double, String)])
    func numbersUseECMAScriptForm(value: Double, expected: String) {
        #expect(JSONWriter.formatNumber(value) == expected)
    }

    @Test func canonicalSortsByUTF16AndEscapesMinimally() throws {
        let value = try JSONParser.parse(#"{"\ufb01": 1, "\ud83d\ude00": 2, "z": [], "\u00e9": {"y": true, "x": null}, "s": "a\u0001\u007f\u2028\"\\/"}"#)
        #expect(JSONWriter.canonical(value) == "{\"s\":\"a\\u0001\u{7f}\u{2028}\\\"\\\\/\",\"z\":[],\"é\":{\"x\":null,\"y\":true},\"😀\":2,\"ﬁ\":1}")
    }

    @Test func orderedOutputKeepsMemberOrder() {
        #expect(JSONWriter.ordered(.object([("b", .int(1)), ("a", .string("x"))])) == #"{"b":1,"a":"x"}"#)
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate key"),
        ("{\"n\": 9007199254740992}", "beyond"),
        ("{\"n\": -9007199254740993}", "beyond"),
        ("{\"n\": 1e400}", "out of the range"),
        ("{\"n\": 1e-400}", "too small"),
        (#"{"s": "\ud800"}"#, "lone surrogate"),
        (#"{"s": "\udc00x"}"#, "lone surrogate"),
        ("{\"a\": 1} x", "after the JSON value"),
        ("{\"a\": 01}", "expected ',' or '}'"),
        ("{\"a\": .5}", "unexpected character"),
        ("{\"a\": \"tab\there\"}", "control character"),
        ("{\"a\" 1}", "expected ':'"),
        ("[1,]", "unexpected character"),
        ("", "unexpected end"),
    ])
    func rejectsWhatWouldChangeOrIsNotJSON(text: String, message: String) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { error in
            guard let error = error as? GovernanceError else { return false }
            return error.exitCode == 2 && error.message.contains(message)
        }
    }

    @Test func acceptsSafeNumbersAndDeepStructure() throws {
        #expect(try JSONParser.parse("9007199254740991") == .number(9_007_199_254_740_991))
        #expect(try JSONParser.parse("1e21") == .number(1e21))
        #expect(try JSONParser.parse("-0.0") == .number(0))
        let nested = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try JSONParser.parse(nested)
        let tooDeep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: GovernanceError.self) { try JSONParser.parse(tooDeep) }
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: GovernanceError.self) { try JSONParser.parse(bytes: [0x22, 0xFF, 0x22]) }
    }

    @Test func roundTripIsStable() throws {
        let text = #"{"b":[1,2.5,"x",{"c":null}],"a":false,"é":"\n"}"#
        let once = JSONWriter.canonical(try JSONParser.parse(text))
        #expect(JSONWriter.canonical(try JSONParser.parse(once)) == once)
    }
}

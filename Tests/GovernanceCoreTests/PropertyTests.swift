import GovernanceCore
import Testing

/// Properties checked over seeded random inputs (the same generator as BatchAppendTests, so a
/// failure names a seed that reproduces it). The key order and the split MAC have theirs in
/// BatchAppendTests; the parsers' properties are the fuzz targets' (FuzzRegressionTests).
@Suite struct PropertyTests {
    typealias Rng = BatchAppendTests.Rng

    /// Amounts of every size, the edges more often than their share.
    static func nanos(_ rng: inout Rng) -> Int64 {
        switch rng.below(6) {
        case 0: Int64(rng.below(1_000))
        case 1: Int64(rng.below(1_000_000_000)) * Int64(rng.below(1_000) + 1)
        case 2: Int64.max - Int64(rng.below(1_000))
        case 3: Int64(rng.below(100)) * Money.nanosPerDollar
        default: Int64(bitPattern: rng.next() >> 1)
        }
    }

    /// Written as a decimal and read back, an amount is the same amount; the text is the shortest
    /// (no trailing zero after the point, no point without a fraction).
    @Test func anAmountSurvivesItsDecimalText() throws {
        var rng = Rng(state: 21)
        for _ in 0..<20_000 {
            let money = Money(nanos: Self.nanos(&rng))
            let text = money.decimal
            #expect(try Money.parse(text) == money, "\(text)")
            if text.contains(".") { #expect(!text.hasSuffix("0") && !text.hasSuffix("."), "\(text)") }
            // The same amount with trailing zeros (up to 9 places) parses to the same amount.
            let places = text.split(separator: ".").dropFirst().first?.count ?? 0
            if places < Money.fractionDigits {
                let padded = text + (places == 0 ? "." : "") + String(repeating: "0", count: Money.fractionDigits - places)
                #expect(try Money.parse(padded) == money, "\(padded)")
            }
        }
    }

    /// Sums are exact, commutative, and refused exactly when the wider sum leaves Int64.
    @Test func sumsAreExactOrRefused() throws {
        var rng = Rng(state: 22)
        for _ in 0..<20_000 {
            let a = Money(nanos: Self.nanos(&rng)), b = Money(nanos: Self.nanos(&rng))
            let wide = Int128(a.nanos) + Int128(b.nanos)
            let ab = try? a.adding(b), ba = try? b.adding(a)
            #expect(ab == ba)
            if wide <= Int128(Int64.max) {
                #expect(ab?.nanos == Int64(wide), "\(a) + \(b)")
            } else {
                #expect(ab == nil, "\(a) + \(b) overflows and must be refused")
            }
            if let ab, let c = Optional(Money(nanos: Int64(rng.below(1_000_000)))), let left = try? ab.adding(c),
               let bc = try? b.adding(c), let right = try? a.adding(bc) {
                #expect(left == right, "(a + b) + c == a + (b + c)")
            }
        }
    }

    /// A call's cost is the exact product of tokens and per-token prices, refused when it does
    /// not fit, never rounded or wrapped.
    @Test func aCallCostsTheExactProductOfTokensAndPrices() throws {
        var rng = Rng(state: 23)
        for _ in 0..<5_000 {
            let input = Int64(rng.below(100_000)), output = Int64(rng.below(100_000)), cachedPrice = Int64(rng.below(10_000))
            let perMillion = { (nanos: Int64) in Money(nanos: nanos * 1_000_000).decimal }
            let file = "models: {m: {input: \(perMillion(input)), output: \(perMillion(output)), cached_input: \(perMillion(cachedPrice))}}"
            let table = try PricingTable.builtIn.overriding(file: Array(file.utf8), source: "test")
            let tokens = (0..<3).map { _ in rng.below(4) == 0 ? Int64(bitPattern: rng.next() >> 12) : Int64(rng.below(10_000_000)) }
            let wide = Int128(tokens[0]) * Int128(input) + Int128(tokens[1]) * Int128(output) + Int128(tokens[2]) * Int128(cachedPrice)
            let cost = try? table.cost(model: "m", inputTokens: tokens[0], outputTokens: tokens[1], cachedInputTokens: tokens[2])
            if wide <= Int128(Int64.max) {
                #expect(cost?.usd.nanos == Int64(wide), "\(tokens) at \(input)/\(output)/\(cachedPrice)")
            } else {
                #expect(cost == nil, "\(tokens) at \(input)/\(output)/\(cachedPrice) overflows and must be refused")
            }
        }
    }

    /// The canonical form is a fixed point over random documents: parsing it gives the value
    /// back, and keys come out in UTF-16 order whatever order they went in.
    @Test func canonicalJSONIsAFixedPointWithKeysInUTF16Order() throws {
        var rng = Rng(state: 24)
        func value(_ depth: Int) -> JSONValue {
            switch rng.below(depth > 3 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(rng.below(2) == 0)
            case 2: return .number(Double(Int64(rng.below(2_000_000)) - 1_000_000) / Double([1, 2, 8, 10, 1000][rng.below(5)]))
            case 3: return .string(BatchAppendTests.text(&rng, maxLength: 8))
            case 4: return .array((0..<rng.below(4)).map { _ in value(depth + 1) })
            default:
                var keys = Set<String>()
                for _ in 0..<rng.below(6) { keys.insert(BatchAppendTests.text(&rng, maxLength: 4)) }
                return .object(keys.map { ($0, value(depth + 1)) })
            }
        }
        for _ in 0..<3_000 {
            let v = value(0)
            let canonical = JSONWriter.canonical(v)
            let back = try JSONParser.parse(canonical)
            #expect(back == v, "\(canonical)")
            #expect(JSONWriter.canonical(back) == canonical)
            if case .object(let members) = back {
                let keys = members.map(\.0)
                #expect(keys == keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }, "\(canonical)")
            }
        }
    }
}

@testable import GovernanceCore
import Testing

/// Exact money and the pricing table.
@Suite struct MoneyPricingTests {
    @Test func moneyParsesAndPrintsExactDecimals() throws {
        let cases: [(String, Int64, String)] = [("0", 0, "0"), ("0.50", 500_000_000, "0.5"), ("10.00", 10_000_000_000, "10"),
                                                ("0.000000001", 1, "0.000000001"), ("0.1", 100_000_000, "0.1"),
                                                ("9223372036.854775807", .max, "9223372036.854775807"), ("007.5", 7_500_000_000, "7.5")]
        for (text, nanos, printed) in cases {
            let money = try Money.parse(text)
            #expect(money.nanos == nanos, "\(text)")
            #expect(money.decimal == printed, "\(text)")
            #expect(try Money.parse(money.decimal) == money)
        }
        for bad in ["", "-1", "-0", "+1", "1e3", "1E-3", "nan", "NaN", "inf", "Infinity", "0x1", ".5", "1.", "1..0", "1.2.3", " 1", "1 ",
                    "1,5", "1_000", "0.0000000001", "9223372036.854775808", "99999999999999999999", "١", "１"] {
            #expect(throws: GovernanceError.self, "\(bad)") { try Money.parse(bad) }
        }
        #expect(Money(nanos: -1_500_000_000).decimal == "-1.5")
        #expect(throws: GovernanceError.self) { try Money(nanos: .max).adding(Money(nanos: 1)) }
    }

    @Test func everyBuiltInPriceIsAWholeNumberOfNanoDollarsPerToken() throws {
        #expect(PricingTable.builtInProblems.isEmpty, "\(PricingTable.builtInProblems)")
        let table = PricingTable.builtIn
        #expect(table.all.count == BuiltInPrices.rows.count)
        #expect(table.all.count >= 24)
        for row in BuiltInPrices.rows {
            let price = try #require(table.price(for: row.0))
            // Back to USD per million: exactly the decimal written in the table.
            #expect(Money(nanos: price.inputNanosPerToken * 1_000_000) == (try Money.parse(row.1)))
            #expect(Money(nanos: price.outputNanosPerToken * 1_000_000) == (try Money.parse(row.2)))
            #expect(Money(nanos: price.cachedInputNanosPerToken * 1_000_000) == (try Money.parse(row.3)))
            #expect(!price.source.isEmpty && price.asOf.count == 10)
        }
        let vendors = Set(BuiltInPrices.rows.map(\.4))
        #expect(vendors.count == 5)
    }

    @Test func theIssuesPricingExamples() throws {
        let table = PricingTable.builtIn
        func cost(_ model: String, _ input: Int64, _ output: Int64) throws -> String {
            try table.cost(model: model, inputTokens: input, outputTokens: output, cachedInputTokens: 0).usd.decimal
        }
        #expect(try cost("gpt-4o", 1_000, 500) == "0.0075")
        #expect(table.price(for: "gpt-4o-2024-08-06")?.model == "gpt-4o")
        #expect(try cost("gpt-4o-2024-08-06", 1_000, 500) == "0.0075")
        #expect(try cost("gpt-4o-2024-05-13", 1_000, 500) == "0.0125")
        #expect(try cost("claude-sonnet-4-20250514", 1_000, 500) == "0.0105")
        #expect(table.price(for: "gpt-4o-mini")?.model == "gpt-4o-mini")
        #expect(table.price(for: "o1-pro")?.model == "o1-pro")
        // Without their own entries they are unknown, never their shorter neighbours.
        let without = PricingTable(table.all.filter { $0.model != "gpt-4o-mini" && $0.model != "o1-pro" })
        #expect(without.price(for: "gpt-4o-mini") == nil)
        #expect(without.price(for: "o1-pro") == nil)
        #expect(without.price(for: "gpt-4o-mini-2024-07-18") == nil)
    }

    @Test func onlyDateAndVersionSuffixesFallBack() {
        let table = PricingTable.builtIn
        let fallbacks = ["gpt-4o-latest": "gpt-4o", "claude-3-5-haiku-20241022": "claude-3-5-haiku", "claude-opus-4@20250514": "claude-opus-4",
                         "llama-3.3-70b-instruct-v1:0": "llama-3.3-70b-instruct", "GPT-4o-2024-08-06": "gpt-4o",
                         "mistral-large-latest": "mistral-large", "gpt-4.1-2025-04-14": "gpt-4.1", "claude-sonnet-4-20250514-v1:0": "claude-sonnet-4"]
        for (name, model) in fallbacks { #expect(table.price(for: name)?.model == model, "\(name)") }
        for unknown in ["gpt-4o-audio", "gpt-4o-2024", "gpt-4o-2024-08", "gpt-4o-20250514x", "gpt-4o-v1", "gpt-4o-v1:", "gpt-4o@2025",
                        "gpt-4", "gpt-4o-", "-latest", "gpt-4o-mini-search", "o1-preview", "claude-sonnet-4-5", "llama", "x-20250514"] {
            #expect(table.price(for: unknown) == nil, "\(unknown)")
        }
    }

    @Test func unknownModelsCostZeroAndCachedTokensHaveTheirOwnPrice() throws {
        let table = PricingTable.builtIn
        let unknown = try table.cost(model: "my-local-model", inputTokens: 1_000, outputTokens: 1_000, cachedInputTokens: 0)
        #expect(unknown.usd == .zero && unknown.price == nil)
        // gpt-4o: 1,000 cached input at $1.25/M = $0.00125.
        #expect(try table.cost(model: "gpt-4o", inputTokens: 0, outputTokens: 0, cachedInputTokens: 1_000).usd.decimal == "0.00125")
        #expect(throws: GovernanceError.self) { try table.cost(model: "gpt-4o", inputTokens: -1, outputTokens: 0, cachedInputTokens: 0) }
        #expect(throws: GovernanceError.self) { try table.cost(model: "o1-pro", inputTokens: .max / 2, outputTokens: 0, cachedInputTokens: 0) }
    }

    @Test func aPricingFileOverridesAndExtendsTheTable() throws {
        let yaml = "models:\n  my-local-model: {input: 1.00, output: 2.00, cached_input: 0.50}\n  gpt-4o: {input: 3, output: 12}\n"
        let table = try PricingTable.builtIn.overriding(file: Array(yaml.utf8), source: "prices.yaml")
        #expect(try table.cost(model: "my-local-model", inputTokens: 1_000, outputTokens: 1_000, cachedInputTokens: 1_000).usd.decimal == "0.0035")
        #expect(table.price(for: "gpt-4o")?.cachedInputNanosPerToken == 3_000)
        #expect(table.price(for: "gpt-4o-2024-08-06")?.outputNanosPerToken == 12_000)
        #expect(table.price(for: "claude-sonnet-4")?.inputNanosPerToken == 3_000)
        let json = #"{"models": {"m": {"input": 0.001, "output": 0.002}}}"#
        #expect(try PricingTable.builtIn.overriding(file: Array(json.utf8), source: "p.json").price(for: "m")?.inputNanosPerToken == 1)
        for bad in ["models:\n  m: {input: 0.0001, output: 1}\n", "models:\n  m: {input: -1, output: 1}\n", "models:\n  m: {input: 1}\n",
                    "models:\n  m: {input: 1, output: 1, cache: 1}\n", "models: [m]\n", "prices: {}\n", "models:\n  m: {input: .nan, output: 1}\n",
                    "models:\n  m: &x {input: 1, output: 1}\n"] {
            #expect(throws: GovernanceError.self, "\(bad)") { try PricingTable.builtIn.overriding(file: Array(bad.utf8), source: "bad.yaml") }
        }
    }
}

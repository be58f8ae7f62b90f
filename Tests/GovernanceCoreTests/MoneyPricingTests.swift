@testable import GovernanceCore
import GovernanceTestSupport
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

    /// The built-in table is what `scripts/gen-prices.py` made from the committed snapshot (an
    /// extract of LiteLLM's map by `scripts/snapshot-prices.py`), the importer (`cost models
    /// --import`) reads that snapshot to the same prices, and the table says where it came from.
    @Test func theBuiltInTableIsTheCommittedSnapshot() throws {
        let snapshot = "Tests/Fixtures/pricing/litellm-snapshot-\(PricingTable.builtInAsOf)"
        let path = packageRoot() + "/" + snapshot + ".json"
        let imported = try LiteLLMPrices.read(try FileSystem.readBytes(path), source: "snapshot", asOf: PricingTable.builtInAsOf)
        let provenance = try JSONParser.parse(String(decoding: try FileSystem.readBytes(packageRoot() + "/" + snapshot + ".source"), as: UTF8.self))
        let source = try #require(provenance["source"]?.stringValue)
        #expect(PricingTable.builtInSource == source + " (" + snapshot + ".json)")
        #expect(provenance["extracted"] == .string(PricingTable.builtInAsOf) && source.hasPrefix("LiteLLM "))
        let table = PricingTable.builtIn
        #expect(table.all.count == BuiltInPrices.rows.count && table.all.count >= 40)
        let importedNames = imported.prices.map { $0.model }, builtInNames = table.all.map { $0.model }
        #expect(importedNames == builtInNames)
        for (mine, theirs) in zip(table.all, imported.prices) {
            let same = [mine.inputNanosPerToken, mine.outputNanosPerToken, mine.cachedInputNanosPerToken]
                == [theirs.inputNanosPerToken, theirs.outputNanosPerToken, theirs.cachedInputNanosPerToken]
            #expect(same, "\(mine.model)")
            #expect(mine.asOf == PricingTable.builtInAsOf && mine.source.contains("LiteLLM"))
        }
        // The snapshot holds only what the table takes.
        #expect(imported.skipped.map { $0.model } == [] && imported.roundedUp.isEmpty)
        // Today's models are priced.
        for model in ["gpt-5", "gpt-5-mini", "gpt-5.2", "gpt-4.1", "gpt-4o", "o3", "o4-mini", "claude-opus-4-5", "claude-opus-4-7",
                      "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5", "gemini-2.5-pro", "gemini-2.5-flash",
                      "gemini-3.1-pro-preview", "gemini/gemini-2.5-pro", "mistral/mistral-large-latest", "xai/grok-4.20", "deepseek-chat"] {
            #expect(table.price(for: model) != nil, "\(model)")
        }
    }

    @Test func litellmPricesAreReadExactlyAndRoundedUp() throws {
        let cases: [(String, Int64, Bool)] = [("2.5e-06", 2_500, false), ("0.0000025", 2_500, false), ("2.5E-6", 2_500, false), ("0", 0, false),
                                              ("0.0", 0, false), ("1e-9", 1, false), ("1.5e-9", 2, true), ("3.75e-08", 38, true),
                                              ("1e-12", 1, true), ("0.000000000000000000001", 1, true), ("15", 15_000_000_000, false),
                                              ("1.0000000001e-06", 1_001, true), ("7.5e+1", 75_000_000_000, false)]
        for (text, nanos, up) in cases {
            let read = try LiteLLMPrices.nanosPerToken(text)
            #expect(read.nanos == nanos && read.roundedUp == up, "\(text): \(read)")
        }
        for bad in ["-1e-6", "", ".5", "1.", "1e", "nan", "inf", "0x1", "1e99999", "1e10", "99999999999"] {
            #expect(throws: GovernanceError.self, "\(bad)") { try LiteLLMPrices.nanosPerToken(bad) }
        }
        let map = #"{"sample_spec": {"mode": "chat"}, "Vendor/Model-X": {"input_cost_per_token": 3.75e-08, "output_cost_per_token": 1.5e-07, "litellm_provider": "v", "mode": "chat"}, "emb": {"input_cost_per_token": 1e-8, "output_cost_per_token": 0, "mode": "embedding"}, "img": {"mode": "chat"}}"#
        let imported = try LiteLLMPrices.read(Array(map.utf8), source: "test", asOf: "2026-12-01")
        let names = imported.prices.map { $0.model }, skippedNames = imported.skipped.map { $0.model }
        #expect(names == ["vendor/model-x"] && imported.roundedUp == ["Vendor/Model-X"])
        #expect(skippedNames == ["emb", "img"])
        // Written as a pricing file, read back to the same prices, with source and date.
        let file = imported.pricingFile(source: "test", asOf: "2026-12-01")
        let table = try PricingTable(([] as [ModelPrice])).overriding(file: Array(file.utf8), source: "prices.json")
        let price = try #require(table.price(for: "vendor/model-x"))
        #expect(price.inputNanosPerToken == 38 && price.outputNanosPerToken == 150 && price.cachedInputNanosPerToken == 38)
        #expect(price.asOf == "2026-12-01" && price.source == "test (pricing file prices.json)")
        let negative = #"{"m": {"input_cost_per_token": -1e-6, "output_cost_per_token": 1e-6, "mode": "chat"}}"#
        #expect(throws: GovernanceError.self) { try LiteLLMPrices.read(Array(negative.utf8), source: "t", asOf: "2026-12-01") }
    }

    /// Ids as the clouds and fine-tuning name them price as their base model.
    @Test func vendorPrefixesSuffixesAndFineTunesResolveToTheirBase() {
        let table = PricingTable.builtIn
        let resolved = ["anthropic.claude-haiku-4-5-20251001-v1:0": "claude-haiku-4-5-20251001",
                        "us.anthropic.claude-sonnet-4-5-20250929-v1:0": "claude-sonnet-4-5-20250929",
                        "global.anthropic.claude-opus-4-5-20251101-v1:0": "claude-opus-4-5-20251101",
                        "claude-sonnet-4-5@20250929": "claude-sonnet-4-5", "claude-opus-4-5@20251101": "claude-opus-4-5",
                        "claude-haiku-4-5-v2@20251001": "claude-haiku-4-5",
                        // A fine-tune is priced as fine-tunes of its base are, else as its base.
                        "ft:gpt-4o-2024-08-06:org::id": "ft:gpt-4o-2024-08-06", "ft:gpt-4o-mini-2024-07-18:acme:custom:abc123": "ft:gpt-4o-mini-2024-07-18",
                        "ft:gpt-5-mini-2025-08-07:org::id": "gpt-5-mini-2025-08-07",
                        "openai/gpt-5": "gpt-5", "models/gemini-2.5-pro": "gemini-2.5-pro", "gpt-5-2025-08-07": "gpt-5-2025-08-07"]
        for (name, model) in resolved { #expect(table.price(for: name)?.model == model, "\(name)") }
        #expect(table.price(for: "ft:gpt-4o-2024-08-06:org::id")?.inputNanosPerToken == 3_750)
        for unknown in ["ft:", "ft:my-own-model:org::id", "anthropic.", "us.my-model", "vendor/", "claude-3-5-sonnet-v@20241022", "gpt-4o-v1"] {
            #expect(table.price(for: unknown) == nil, "\(unknown)")
        }
        // The issue's ids resolve the same way against any table that prices their base.
        let older = PricingTable([ModelPrice(model: "claude-3-5-sonnet", inputNanosPerToken: 3_000, outputNanosPerToken: 15_000,
                                             cachedInputNanosPerToken: 300, source: "test", asOf: "")])
        for name in ["anthropic.claude-3-5-sonnet-20241022-v2:0", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-v2@20241022"] {
            #expect(older.price(for: name)?.model == "claude-3-5-sonnet", "\(name)")
        }
    }

    @Test func theIssuesPricingExamples() throws {
        let table = PricingTable.builtIn
        func cost(_ model: String, _ input: Int64, _ output: Int64) throws -> String {
            try table.cost(model: model, inputTokens: input, outputTokens: output, cachedInputTokens: 0).usd.decimal
        }
        #expect(try cost("gpt-4o", 1_000, 500) == "0.0075")
        #expect(try cost("gpt-4o-2024-08-06", 1_000, 500) == "0.0075")
        #expect(try cost("gpt-4o-2024-05-13", 1_000, 500) == "0.0125")
        #expect(try cost("claude-sonnet-4-5-20250929", 1_000, 500) == "0.0105")
        #expect(table.price(for: "gpt-4o-mini")?.model == "gpt-4o-mini")
        #expect(table.price(for: "o1-pro")?.model == "o1-pro")
        // Without their own entries they are unknown, never their shorter neighbours.
        let without = PricingTable(table.all.filter { !$0.model.hasPrefix("gpt-4o-mini") && !$0.model.hasPrefix("o1-pro") })
        #expect(without.price(for: "gpt-4o-mini") == nil)
        #expect(without.price(for: "o1-pro") == nil)
        #expect(without.price(for: "gpt-4o-mini-2024-07-18") == nil)
        #expect(without.price(for: "o1-pro-2025-03-19") == nil)
    }

    @Test func onlyDateAndVersionSuffixesFallBack() {
        let table = PricingTable.builtIn
        // Dated snapshots the table has no entry of their own for fall back to the undated one.
        let fallbacks = ["gpt-4o-latest": "gpt-4o", "claude-sonnet-4-6-20260217": "claude-sonnet-4-6", "claude-opus-4-5@20251101": "claude-opus-4-5",
                         "claude-opus-4-5-20251101-v1:0": "claude-opus-4-5-20251101", "GPT-4o-Latest": "gpt-4o", "GPT-4o-2024-08-06": "gpt-4o-2024-08-06",
                         "mistral/mistral-medium-3-latest": "mistral/mistral-medium-3", "gpt-5.5-2026-06-30": "gpt-5.5",
                         "claude-sonnet-4-5-20250929-v1:0": "claude-sonnet-4-5-20250929", "deepseek-chat-20251201": "deepseek-chat"]
        for (name, model) in fallbacks { #expect(table.price(for: name)?.model == model, "\(name)") }
        for unknown in ["gpt-4o-audio", "gpt-4o-2024", "gpt-4o-2024-08", "gpt-4o-20250514x", "gpt-4o-v1", "gpt-4o-v1:", "gpt-4o@2025",
                        "gpt-4o-m", "gpt-4o-", "-latest", "gpt-4o-mini-search", "o1-preview", "claude-sonnet-4-5-1", "llama", "x-20250514"] {
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
        #expect(table.price(for: "gpt-4o-latest")?.outputNanosPerToken == 12_000)
        #expect(table.price(for: "gpt-4o-2024-08-06")?.outputNanosPerToken == 10_000)   // its own entry, not overridden
        #expect(table.price(for: "claude-sonnet-4-5")?.inputNanosPerToken == 3_000)
        let json = #"{"models": {"m": {"input": 0.001, "output": 0.002}}}"#
        #expect(try PricingTable.builtIn.overriding(file: Array(json.utf8), source: "p.json").price(for: "m")?.inputNanosPerToken == 1)
        for bad in ["models:\n  m: {input: 0.0001, output: 1}\n", "models:\n  m: {input: -1, output: 1}\n", "models:\n  m: {input: 1}\n",
                    "models:\n  m: {input: 1, output: 1, cache: 1}\n", "models: [m]\n", "prices: {}\n", "models:\n  m: {input: .nan, output: 1}\n",
                    "models:\n  m: &x {input: 1, output: 1}\n"] {
            #expect(throws: GovernanceError.self, "\(bad)") { try PricingTable.builtIn.overriding(file: Array(bad.utf8), source: "bad.yaml") }
        }
    }
}

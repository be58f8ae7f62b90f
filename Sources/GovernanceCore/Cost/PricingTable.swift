/// What one model costs, in whole nano-dollars per token.
public struct ModelPrice: Sendable, Equatable {
    public var model: String
    public var inputNanosPerToken: Int64
    public var outputNanosPerToken: Int64
    public var cachedInputNanosPerToken: Int64
    /// Where the price comes from (the built-in table's LiteLLM snapshot, or the pricing file).
    public var source: String
    /// The date the price was taken (YYYY-MM-DD); empty for a pricing file.
    public var asOf: String

    /// USD per million tokens, as decimals (how vendors write prices).
    public var json: JSONValue {
        .object([("model", .string(model)),
                 ("input_usd_per_million", .string(Money(nanos: inputNanosPerToken * 1_000_000).decimal)),
                 ("output_usd_per_million", .string(Money(nanos: outputNanosPerToken * 1_000_000).decimal)),
                 ("cached_input_usd_per_million", .string(Money(nanos: cachedInputNanosPerToken * 1_000_000).decimal)),
                 ("source", .string(source)), ("as_of", .string(asOf))])
    }
}

/// The prices in effect: the built-in list, optionally overridden or extended by a pricing file.
/// A versioned model name falls back to a shorter entry only when what is cut off is a date or
/// version suffix (`-2024-08-06`, `-20250514`, `-latest`, `-v1:0`, `@20250514`), so
/// `gpt-4o-mini` never prices as `gpt-4o` and `o1-pro` never as `o1`.
public struct PricingTable: Sendable {
    /// By lower-cased model name.
    public private(set) var entries: [String: ModelPrice]

    public init(_ prices: [ModelPrice]) {
        entries = [:]
        for price in prices { entries[price.model.lowercased()] = price }
    }

    public static let builtIn = PricingTable(BuiltInPrices.rows.map {
        ModelPrice(model: $0.0, inputNanosPerToken: $0.2, outputNanosPerToken: $0.3, cachedInputNanosPerToken: $0.4,
                   source: BuiltInPrices.source, asOf: BuiltInPrices.asOf)
    })

    /// Where the built-in table comes from, and its date.
    public static let builtInSource = BuiltInPrices.source
    public static let builtInAsOf = BuiltInPrices.asOf

    /// Every price, by model name.
    public var all: [ModelPrice] { entries.values.sorted { $0.model < $1.model } }

    /// The price for `model`: its own entry, else the entry left after cutting date or version
    /// suffixes; else the same for the fine-tuning price of its base (`ft:BASE`, as LiteLLM's map
    /// lists them), then for its base model (a fine-tune, a vendor prefix or a path); nil when there
    /// is none (the call then costs zero and the model is unpriced).
    public func price(for model: String) -> ModelPrice? {
        let lowered = model.lowercased()
        for candidate in [lowered, Self.fineTuneBase(lowered), Self.baseModel(lowered)].compactMap({ $0 }) {
            var name = Substring(candidate)
            while true {
                if let price = entries[String(name)] { return price }
                guard let shorter = Self.withoutVersionSuffix(name) else { break }
                name = shorter
            }
        }
        return nil
    }

    /// Cloud regions and vendors that Amazon Bedrock puts before a model id
    /// (`us.anthropic.claude-3-5-sonnet-20241022-v2:0`).
    static let bedrockRegions = ["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."]
    static let bedrockVendors = ["anthropic.", "meta.", "mistral.", "amazon.", "cohere.", "ai21.", "deepseek.", "openai.", "qwen."]

    /// `ft:BASE` for an OpenAI fine-tune `ft:BASE:org:name:id` (the entry for fine-tunes of BASE,
    /// which the vendor bills above BASE itself); nil for any other name.
    static func fineTuneBase(_ name: String) -> String? {
        guard name.hasPrefix("ft:") else { return nil }
        let rest = name.dropFirst(3)
        guard let colon = rest.firstIndex(of: ":"), colon > rest.startIndex else { return nil }
        return "ft:" + rest[..<colon]
    }

    /// The model a name is a variant of, or nil when it is not one: an OpenAI fine-tune
    /// (`ft:gpt-4o-2024-08-06:org::id` is `gpt-4o-2024-08-06`), a path (`openai/gpt-4o`,
    /// `models/gemini-2.5-pro`: the last segment), a Bedrock region and vendor prefix. A fine-tune
    /// with no `ft:BASE` entry is priced as its base, which vendors bill at or above the base price:
    /// give it its own entry in a pricing file to price it exactly.
    static func baseModel(_ name: String) -> String? {
        var n = Substring(name)
        if n.hasPrefix("ft:") {
            n = n.dropFirst(3)
            if let colon = n.firstIndex(of: ":") { n = n[..<colon] }
        }
        if let slash = n.lastIndex(of: "/") { n = n[n.index(after: slash)...] }
        for region in bedrockRegions where n.hasPrefix(region) && bedrockVendors.contains(where: { n.dropFirst(region.count).hasPrefix($0) }) {
            n = n.dropFirst(region.count)
            break
        }
        for vendor in bedrockVendors where n.hasPrefix(vendor) {
            n = n.dropFirst(vendor.count)
            break
        }
        return n.isEmpty || n == name ? nil : String(n)
    }

    /// The name without one trailing date or version suffix; nil when it has none.
    static func withoutVersionSuffix(_ name: Substring) -> Substring? {
        let b = Array(name.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.lowerBound >= 0 && range.allSatisfy { isDigit(b[$0]) } }
        let n = b.count
        let cut: Int?
        if name.hasSuffix("-latest") {
            cut = n - 7
        } else if n > 9, b[n - 9] == UInt8(ascii: "@"), digits(n - 8..<n) {
            // Vertex: claude-3-5-sonnet-v2@20241022 names claude-3-5-sonnet's second version.
            var v = n - 10
            while v > 0, isDigit(b[v]) { v -= 1 }
            let versioned = v < n - 10 && v > 1 && b[v] == UInt8(ascii: "v") && b[v - 1] == UInt8(ascii: "-")
            cut = versioned ? v - 1 : n - 9                               // -v2@20241022, @20250514
        } else if n > 11, b[n - 11] == UInt8(ascii: "-"), digits(n - 10..<n - 6), b[n - 6] == UInt8(ascii: "-"),
                  digits(n - 5..<n - 3), b[n - 3] == UInt8(ascii: "-"), digits(n - 2..<n) {
            cut = n - 11                                                  // -2024-08-06
        } else if n > 9, b[n - 9] == UInt8(ascii: "-"), digits(n - 8..<n) {
            cut = n - 9                                                   // -20250514
        } else if let dash = b.lastIndex(of: UInt8(ascii: "-")), dash > 0, dash + 2 < n, b[dash + 1] == UInt8(ascii: "v"),
                  let colon = b[(dash + 2)...].firstIndex(of: UInt8(ascii: ":")),
                  colon > dash + 2, colon + 1 < n, digits(dash + 2..<colon), digits(colon + 1..<n) {
            cut = dash                                                    // -v1:0
        } else {
            cut = nil
        }
        guard let cut, cut > 0 else { return nil }
        return Substring(String(decoding: b[..<cut], as: UTF8.self))
    }

    /// What a call cost. Input, output and cached-input tokens are priced separately (input
    /// tokens are the uncached ones). Unknown models cost zero (`price` is nil). Overflow is exit 2.
    public func cost(model: String, inputTokens: Int64, outputTokens: Int64, cachedInputTokens: Int64) throws(GovernanceError) -> (usd: Money, price: ModelPrice?) {
        for (name, value) in [("input", inputTokens), ("output", outputTokens), ("cached input", cachedInputTokens)] where value < 0 {
            throw .invalid("\(name) tokens must be 0 or more (got \(value))")
        }
        guard let price = price(for: model) else { return (.zero, nil) }
        var total: Int64 = 0
        for (tokens, nanos) in [(inputTokens, price.inputNanosPerToken), (outputTokens, price.outputNanosPerToken),
                                (cachedInputTokens, price.cachedInputNanosPerToken)] {
            let (product, o1) = tokens.multipliedReportingOverflow(by: nanos)
            let (sum, o2) = total.addingReportingOverflow(product)
            guard !o1, !o2 else { throw .invalid("the cost of this call overflows the USD counter") }
            total = sum
        }
        return (Money(nanos: total), price)
    }

    /// A price from USD-per-million decimals; each must be a whole number of nano-dollars per token.
    static func price(_ model: String, input: String, output: String, cached: String?, source: String, asOf: String) throws(GovernanceError) -> ModelPrice {
        func perToken(_ text: String, _ what: String) throws(GovernanceError) -> Int64 {
            let perMillion = try Money.parse(text)
            guard perMillion.nanos % 1_000_000 == 0 else {
                throw .invalid("\(model): the \(what) price \(text) per million tokens is not a whole number of nano-dollars per token (use at most 3 decimal places)")
            }
            return perMillion.nanos / 1_000_000
        }
        let inputNanos = try perToken(input, "input")
        return ModelPrice(model: model, inputNanosPerToken: inputNanos, outputNanosPerToken: try perToken(output, "output"),
                          cachedInputNanosPerToken: try cached.map { (c) throws(GovernanceError) in try perToken(c, "cached input") } ?? inputNanos,
                          source: source, asOf: asOf)
    }

    /// This table with a pricing file's models added or replaced. The file is YAML or JSON:
    /// `models: {NAME: {input: 1.00, output: 2.00, cached_input: 0.50}}` (USD per million tokens;
    /// `cached_input` defaults to `input`), with optional `source` and `as_of` (YYYY-MM-DD) saying
    /// where the prices come from (`cost models --import` writes both).
    public func overriding(file bytes: [UInt8], source: String) throws(GovernanceError) -> PricingTable {
        let r = PolicyParser.Reader(source: source)
        let node: DocumentNode
        do { node = try YAMLReader.read(bytes) } catch { throw r.fail("", error.message) }
        let top = try r.mapping(node, "", keys: ["models", "source", "as_of"])
        var origin = "pricing file " + source, asOf = ""
        if let value = top.first(where: { $0.0 == "source" })?.1 {
            let text = try r.string(value, "source")
            do { try Identifier.check(text, field: "source") } catch { throw r.fail("source", error.message) }
            origin = text + " (" + origin + ")"
        }
        if let value = top.first(where: { $0.0 == "as_of" })?.1 {
            asOf = try r.string(value, "as_of")
            guard Timestamp(parsing: asOf + "T00:00:00Z") != nil, asOf.utf8.count == 10 else { throw r.fail("as_of", "must be a date, YYYY-MM-DD") }
        }
        guard case .mapping(let models)? = top.first(where: { $0.0 == "models" })?.1 else {
            throw r.fail("models", "must be a mapping of model names to prices")
        }
        guard models.count <= PolicyParser.maxListEntries else { throw r.fail("models", "has more than \(PolicyParser.maxListEntries) entries") }
        var table = self
        for (name, body) in models {
            let path = "models." + name
            guard !name.isEmpty, name.utf8.count <= AuditEventInput.maxModelLength else {
                throw r.fail(path, "a model name is 1 to \(AuditEventInput.maxModelLength) bytes")
            }
            let fields = try r.mapping(body, path, keys: ["input", "output", "cached_input"])
            func field(_ key: String) throws(GovernanceError) -> String? {
                guard let value = fields.first(where: { $0.0 == key })?.1 else { return nil }
                guard case .scalar(let text, _) = value else { throw r.fail(path + "." + key, "must be a decimal USD price per million tokens") }
                return text
            }
            guard let input = try field("input") else { throw r.fail(path + ".input", "is missing") }
            guard let output = try field("output") else { throw r.fail(path + ".output", "is missing") }
            do {
                table.entries[name.lowercased()] = try Self.price(name, input: input, output: output, cached: try field("cached_input"),
                                                                  source: origin, asOf: asOf)
            } catch {
                throw r.fail(path, error.message)
            }
        }
        return table
    }
}

/// Reads LiteLLM's `model_prices_and_context_window.json`, the price map most of the ecosystem
/// keeps current: `{MODEL: {input_cost_per_token, output_cost_per_token,
/// cache_read_input_token_cost, litellm_provider, mode, ...}}`, prices in USD per token as JSON
/// numbers (often `2.5e-06`). Numbers are read from their text, never through a floating point.
public enum LiteLLMPrices {
    /// The real map is over 1 MiB.
    public static let maxBytes = 16 << 20
    /// The modes whose calls are priced per input and output token.
    static let modes: Set<String> = ["chat", "completion", "responses"]

    public struct Import: Sendable {
        /// The entries taken, priced in whole nano-dollars per token, by model name.
        public var prices: [ModelPrice]
        /// Entries left out, with why (not a chat model, no output price, a name too long, ...).
        public var skipped: [(model: String, reason: String)]
        /// Models with a price finer than a nano-dollar per token, rounded up.
        public var roundedUp: [String]

        /// The pricing file that `--pricing-file` and `GOVERNANCE_PRICING_FILE` read, as JSON
        /// (USD per million tokens as decimal strings, exact).
        public func pricingFile(source: String, asOf: String) -> String {
            func perMillion(_ nanos: Int64) -> JSONValue { .string(Money(nanos: nanos * 1_000_000).decimal) }
            let models = prices.map { p -> (String, JSONValue) in
                (p.model, .object([("input", perMillion(p.inputNanosPerToken)), ("output", perMillion(p.outputNanosPerToken)),
                                   ("cached_input", perMillion(p.cachedInputNanosPerToken))]))
            }
            return JSONWriter.ordered(.object([("source", .string(source)), ("as_of", .string(asOf)), ("models", .object(models))])) + "\n"
        }
    }

    /// Takes every chat, completion or responses entry with both an input and an output price
    /// (`cache_read_input_token_cost` is the cached-input price, else the input price); skips the
    /// rest, saying why. A price that is negative or not a number is exit 2. A price finer than a
    /// nano-dollar per token is rounded UP to the next one, so a cap never lets more through.
    public static func read(_ bytes: [UInt8], source: String, asOf: String) throws(GovernanceError) -> Import {
        let r = PolicyParser.Reader(source: source)
        let node: DocumentNode
        do { node = try YAMLReader.read(bytes, limit: maxBytes) } catch { throw r.fail("", error.message) }
        guard case .mapping(let entries) = node else { throw r.fail("", "must be a JSON object of model names to their entries") }
        var result = Import(prices: [], skipped: [], roundedUp: [])
        for (model, body) in entries where model != "sample_spec" {
            guard case .mapping(let fields) = body else { result.skipped.append((model, "not an object")); continue }
            func field(_ key: String) -> DocumentNode? { fields.first(where: { $0.0 == key })?.1 }
            guard case .scalar(let mode, _)? = field("mode"), modes.contains(mode) else {
                result.skipped.append((model, "not a chat, completion or responses model"))
                continue
            }
            guard field("input_cost_per_token") != nil, field("output_cost_per_token") != nil else {
                result.skipped.append((model, "no input or output price per token"))
                continue
            }
            guard !model.isEmpty, model.utf8.count <= AuditEventInput.maxModelLength, (try? Identifier.check(model, field: "model")) != nil else {
                result.skipped.append((model, "the name is not a model identifier of 1 to \(AuditEventInput.maxModelLength) bytes"))
                continue
            }
            var rounded = false
            func price(_ key: String) throws(GovernanceError) -> Int64? {
                guard let value = field(key) else { return nil }
                guard case .scalar(let text, _) = value else { throw r.fail(model + "." + key, "must be a number") }
                do {
                    let (nanos, up) = try nanosPerToken(text)
                    rounded = rounded || up
                    return nanos
                } catch {
                    throw r.fail(model + "." + key, error.message)
                }
            }
            let input = try price("input_cost_per_token") ?? 0
            let output = try price("output_cost_per_token") ?? 0
            let cached = try price("cache_read_input_token_cost") ?? input
            let provider: String
            if case .scalar(let text, _)? = field("litellm_provider"), (try? Identifier.check(text, field: "provider")) != nil { provider = text } else { provider = "" }
            result.prices.append(ModelPrice(model: model.lowercased(), inputNanosPerToken: input, outputNanosPerToken: output,
                                            cachedInputNanosPerToken: cached,
                                            source: provider.isEmpty ? source : "\(source), \(provider)", asOf: asOf))
            if rounded { result.roundedUp.append(model) }
        }
        result.prices.sort { $0.model < $1.model }
        return result
    }

    /// A decimal USD-per-token price (`0.0000025`, `2.5e-06`, `0`) in whole nano-dollars per token,
    /// exactly; `roundedUp` when it was finer than a nano-dollar. At most $9,223 per token, so a
    /// price per million tokens still fits the counters.
    static func nanosPerToken(_ text: String) throws(GovernanceError) -> (nanos: Int64, roundedUp: Bool) {
        let b = Array(text.utf8)
        var i = 0
        var digits: [UInt8] = []
        var fractionDigits = 0
        while i < b.count, isDigit(b[i]) { digits.append(b[i] - 0x30); i += 1 }
        guard !digits.isEmpty else { throw notPrice(text) }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) { digits.append(b[i] - 0x30); i += 1 }
            fractionDigits = i - start
            guard fractionDigits > 0 else { throw notPrice(text) }
        }
        var exponent = 0
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            var negative = false
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
            let start = i
            while i < b.count, isDigit(b[i]), i - start < 4 { exponent = exponent * 10 + Int(b[i] - 0x30); i += 1 }
            guard i > start else { throw notPrice(text) }
            if negative { exponent = -exponent }
        }
        guard i == b.count else { throw notPrice(text) }
        // value = digits x 10^(exponent - fractionDigits) USD = digits x 10^shift nano-dollars.
        var shift = exponent - fractionDigits + Money.fractionDigits
        while digits.first == 0 { digits.removeFirst() }
        guard !digits.isEmpty else { return (0, false) }
        var roundedUp = false
        // Digits below a nano-dollar only decide whether to round up.
        while shift < 0, !digits.isEmpty {
            if digits.removeLast() != 0 { roundedUp = true }
            shift += 1
        }
        let limit = Int64.max / 1_000_000
        var nanos: Int64 = 0
        for d in digits {
            let (m, o1) = nanos.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1, !o2, a <= limit else { throw tooDear(text) }
            nanos = a
        }
        for _ in 0..<max(0, shift) {
            let (m, o) = nanos.multipliedReportingOverflow(by: 10)
            guard !o, m <= limit else { throw tooDear(text) }
            nanos = m
        }
        if roundedUp {
            guard nanos < limit else { throw tooDear(text) }
            nanos += 1
        }
        return (nanos, roundedUp)
    }

    private static func notPrice(_ text: String) -> GovernanceError {
        .invalid("\(quoted(text)) is not a price: a decimal number of USD per token, 0 or more")
    }

    private static func tooDear(_ text: String) -> GovernanceError {
        .invalid("\(quoted(text)) USD per token is beyond the largest price the counters hold")
    }
}

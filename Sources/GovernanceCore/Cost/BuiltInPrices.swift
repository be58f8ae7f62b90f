/// The built-in price list: USD per million tokens, written as the vendors' pricing pages show
/// them, with the page and the date each price was taken from. Every price is a multiple of
/// $0.001 per million tokens, so each per-token price is a whole number of nano-dollars (a test
/// checks it). Cached input is the vendor's cached-input (prompt cache read) price; where a vendor
/// lists no discount, it is the input price. Override or extend with a pricing file.
enum BuiltInPrices {
    static let openAI = "OpenAI API pricing (openai.com/api/pricing)"
    static let anthropic = "Anthropic API pricing (anthropic.com/pricing#api)"
    static let google = "Gemini Developer API pricing (ai.google.dev/gemini-api/docs/pricing)"
    static let meta = "Amazon Bedrock pricing, Meta Llama, on-demand us-east-1 (aws.amazon.com/bedrock/pricing)"
    static let mistral = "Mistral AI pricing (mistral.ai/pricing#api-pricing)"

    /// (model, input, output, cached input, source, as of)
    static let rows: [(String, String, String, String, String, String)] = [
        ("gpt-4o", "2.50", "10.00", "1.25", openAI, "2025-06-10"),
        ("gpt-4o-2024-05-13", "5.00", "15.00", "5.00", openAI, "2025-06-10"),
        ("gpt-4o-mini", "0.15", "0.60", "0.075", openAI, "2025-06-10"),
        ("gpt-4.1", "2.00", "8.00", "0.50", openAI, "2025-06-10"),
        ("gpt-4.1-mini", "0.40", "1.60", "0.10", openAI, "2025-06-10"),
        ("gpt-4.1-nano", "0.10", "0.40", "0.025", openAI, "2025-06-10"),
        ("o1", "15.00", "60.00", "7.50", openAI, "2025-06-10"),
        ("o1-pro", "150.00", "600.00", "150.00", openAI, "2025-06-10"),
        ("o3", "2.00", "8.00", "0.50", openAI, "2025-06-10"),
        ("o3-mini", "1.10", "4.40", "0.55", openAI, "2025-06-10"),
        ("o4-mini", "1.10", "4.40", "0.275", openAI, "2025-06-10"),
        ("claude-opus-4", "15.00", "75.00", "1.50", anthropic, "2025-06-10"),
        ("claude-sonnet-4", "3.00", "15.00", "0.30", anthropic, "2025-06-10"),
        ("claude-3-7-sonnet", "3.00", "15.00", "0.30", anthropic, "2025-06-10"),
        ("claude-3-5-sonnet", "3.00", "15.00", "0.30", anthropic, "2025-06-10"),
        ("claude-3-5-haiku", "0.80", "4.00", "0.08", anthropic, "2025-06-10"),
        ("claude-3-haiku", "0.25", "1.25", "0.03", anthropic, "2025-06-10"),
        ("gemini-2.5-pro", "1.25", "10.00", "0.31", google, "2025-06-17"),
        ("gemini-2.5-flash", "0.30", "2.50", "0.075", google, "2025-06-17"),
        ("gemini-2.0-flash", "0.10", "0.40", "0.025", google, "2025-06-17"),
        ("gemini-2.0-flash-lite", "0.075", "0.30", "0.075", google, "2025-06-17"),
        ("llama-4-maverick-17b-instruct", "0.24", "0.97", "0.24", meta, "2025-06-10"),
        ("llama-4-scout-17b-instruct", "0.17", "0.66", "0.17", meta, "2025-06-10"),
        ("llama-3.3-70b-instruct", "0.72", "0.72", "0.72", meta, "2025-06-10"),
        ("llama-3.1-405b-instruct", "2.40", "2.40", "2.40", meta, "2025-06-10"),
        ("llama-3.1-8b-instruct", "0.22", "0.22", "0.22", meta, "2025-06-10"),
        ("mistral-large", "2.00", "6.00", "2.00", mistral, "2025-06-10"),
        ("mistral-medium-3", "0.40", "2.00", "0.40", mistral, "2025-06-10"),
        ("mistral-small", "0.10", "0.30", "0.10", mistral, "2025-06-10"),
        ("codestral", "0.30", "0.90", "0.30", mistral, "2025-06-10"),
        ("ministral-8b", "0.10", "0.10", "0.10", mistral, "2025-06-10"),
        ("mistral-nemo", "0.15", "0.15", "0.15", mistral, "2025-06-10"),
    ]
}

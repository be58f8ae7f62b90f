/// An exact amount of US dollars in integer nano-dollars (10⁻⁹ USD). Parsed from and written as
/// decimal text; never a floating point.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanos: Int64

    public static let nanosPerDollar: Int64 = 1_000_000_000
    public static let fractionDigits = 9
    public static let zero = Money(nanos: 0)

    public init(nanos: Int64) { self.nanos = nanos }

    /// `12`, `0.50`, `0.000000001`: digits, optionally a point and 1 to 9 more digits. Signs,
    /// exponents, `nan`, `inf`, spaces, separators and values beyond Int64 nano-dollars are refused
    /// with the reason (the caller adds where the value came from).
    public static func parse(_ text: String) throws(GovernanceError) -> Money {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .invalid("an amount of USD must not be empty") }
        if bytes[0] == UInt8(ascii: "-") { throw .invalid("\(quoted(text)) is negative; amounts of USD must be 0 or more") }
        var whole: Int64 = 0
        var index = 0
        while index < bytes.count, isDigit(bytes[index]) {
            let (shifted, o1) = whole.multipliedReportingOverflow(by: 10)
            let (next, o2) = shifted.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !o1, !o2 else { throw overflow(text) }
            whole = next
            index += 1
        }
        guard index > 0 else { throw notDecimal(text) }
        var fraction: Int64 = 0
        var digits = 0
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "."), index + 1 < bytes.count else { throw notDecimal(text) }
            index += 1
            while index < bytes.count {
                guard isDigit(bytes[index]) else { throw notDecimal(text) }
                digits += 1
                guard digits <= fractionDigits else {
                    throw .invalid("\(quoted(text)) has more than \(fractionDigits) decimal places; amounts are exact to the nano-dollar")
                }
                fraction = fraction * 10 + Int64(bytes[index] - 0x30)
                index += 1
            }
        }
        for _ in digits..<fractionDigits { fraction *= 10 }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: nanosPerDollar)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2 else { throw overflow(text) }
        return Money(nanos: total)
    }

    private static func notDecimal(_ text: String) -> GovernanceError {
        .invalid("\(quoted(text)) is not a decimal amount of USD", hint: "write plain decimals such as 0.50 or 12 (no signs, exponents or separators)")
    }

    private static func overflow(_ text: String) -> GovernanceError {
        .invalid("\(quoted(text)) is too large; the limit is \(Money(nanos: .max)) USD")
    }

    /// The shortest exact decimal: `0.5`, `12`, `0.000000001` (negative amounts keep their sign).
    public var decimal: String {
        let negative = nanos < 0
        let magnitude = nanos.magnitude
        let whole = magnitude / UInt64(Self.nanosPerDollar)
        var fraction = magnitude % UInt64(Self.nanosPerDollar)
        var text = (negative ? "-" : "") + String(whole)
        guard fraction > 0 else { return text }
        var digits = Self.fractionDigits
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let f = String(fraction)
        text += "." + String(repeating: "0", count: digits - f.count) + f
        return text
    }

    public var description: String { decimal }

    public static func < (a: Money, b: Money) -> Bool { a.nanos < b.nanos }

    /// Sum that reports overflow instead of trapping.
    public func adding(_ other: Money) throws(GovernanceError) -> Money {
        let (sum, overflow) = nanos.addingReportingOverflow(other.nanos)
        guard !overflow else { throw .invalid("the amount overflows: \(decimal) + \(other.decimal) USD is beyond the limit") }
        return Money(nanos: sum)
    }
}

extension Int64 {
    /// Sum that stops at the limits instead of trapping: a used amount past any cap denies either way.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

import Glibc

/// A UTC instant with microsecond precision, stored as microseconds since the Unix epoch and
/// written as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (the audit chain's `created_at`).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// The times the chain format can write: years 0001 to 9999 (four year digits, docs/CHAIN.md).
    public static let chainRange = Timestamp(microseconds: -62_135_596_800_000_000)...Timestamp(microseconds: 253_402_300_799_999_999)

    public var isInChainRange: Bool { Self.chainRange.contains(self) }

    /// Throws invalid input (exit 2) for a time the chain cannot hold.
    public func checkChainRange() throws(GovernanceError) {
        guard isInChainRange else {
            throw .invalid("the time \(microseconds) µs since 1970 is outside the years 0001-9999 an audit record can hold")
        }
    }

    public var description: String { iso8601 }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public var iso8601: String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        appendISO8601(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static let iso8601Length = 27

    /// For people: `2026-11-24 08:15 UTC`, to the minute (the exact value stays in JSON). With
    /// `seconds`, the seconds too when the time is not on a whole minute (`08:15:30 UTC`).
    public func readable(seconds: Bool = false) -> String {
        let text = iso8601
        let exact = seconds && microseconds % 60_000_000 != 0
        return text.prefix(10) + " " + text.dropFirst(11).prefix(exact ? 8 : 5) + " UTC"
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public func appendISO8601(to out: inout [UInt8]) {
        out.appendWriting(capacity: Self.iso8601Length) { write(to: &$0) }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.ffffffZ` (27 bytes; the chain codec's hot path).
    public func write(to cursor: inout ByteCursor) {
        let (secondsTotal, micros) = microseconds.floorDivided(by: 1_000_000)
        let (days, secondOfDay) = secondsTotal.floorDivided(by: 86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        cursor.writeDigits(y, width: 4); cursor.write(UInt8(ascii: "-"))
        cursor.writeDigits(m, width: 2); cursor.write(UInt8(ascii: "-"))
        cursor.writeDigits(d, width: 2); cursor.write(UInt8(ascii: "T"))
        cursor.writeDigits(secondOfDay / 3600, width: 2); cursor.write(UInt8(ascii: ":"))
        cursor.writeDigits(secondOfDay / 60 % 60, width: 2); cursor.write(UInt8(ascii: ":"))
        cursor.writeDigits(secondOfDay % 60, width: 2); cursor.write(UInt8(ascii: "."))
        cursor.writeDigits(micros, width: 6); cursor.write(UInt8(ascii: "Z"))
    }

    /// A time as a person types it on a command line: what `init(parsing:)` reads, or a time
    /// relative to `now`, resolved in UTC: `now`, `today` and `yesterday` (00:00 UTC of that day),
    /// or an age such as `90s`, `15m`, `1h`, `7d`, `2w` (that long before now).
    public init?(parsingUserTime text: String, now: Timestamp = .now()) {
        if let exact = Timestamp(parsing: text) { self = exact; return }
        let day: Int64 = 86_400_000_000
        let midnight = now.microseconds.floorDivided(by: day).0 * day
        switch text.lowercased() {
        case "now": self = now; return
        case "today": self = Timestamp(microseconds: midnight); return
        case "yesterday": self = Timestamp(microseconds: midnight - day); return
        default: break
        }
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0, count <= 100_000,
              text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        case "w": seconds = 604_800
        default: return nil
        }
        self = Timestamp(microseconds: now.microseconds - count * seconds * 1_000_000)
    }

    /// Parses RFC 3339 UTC or offset times (`2026-11-26T04:15:45Z`, `...45.5+01:00`) and plain
    /// dates (`2026-11-26`, meaning midnight UTC). Fractions beyond microseconds are rejected.
    public init?(parsing text: String) {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var value: Int64 = 0
            for i in range {
                guard isDigit(b[i]) else { return nil }
                value = value * 10 + Int64(b[i] - 0x30)
            }
            return value
        }
        guard b.count >= 10, let y = number(0..<4), b[4] == UInt8(ascii: "-"), let mo = number(5..<7),
              b[7] == UInt8(ascii: "-"), let d = number(8..<10), (1...12).contains(mo),
              d >= 1, d <= Self.daysInMonth(year: y, month: mo) else { return nil }
        var seconds = Self.days(fromCivil: y, mo, d) * 86_400
        var micros: Int64 = 0
        if b.count == 10 {
            self.init(microseconds: seconds * 1_000_000)
            return
        }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let h = number(11..<13), b[13] == UInt8(ascii: ":"), let mi = number(14..<16),
              b[16] == UInt8(ascii: ":"), let s = number(17..<19), h < 24, mi < 60, s < 60 else { return nil }
        seconds += h * 3600 + mi * 60 + s
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, isDigit(b[i]) {
                digits += 1
                guard digits <= 6 else { return nil }
                micros = micros * 10 + Int64(b[i] - 0x30)
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { micros *= 10 }
        }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == b.count, let oh = number(i + 1..<i + 3), b[i + 3] == UInt8(ascii: ":"),
                  let om = number(i + 4..<i + 6), oh < 24, om < 60 else { return nil }
            let offset = oh * 3600 + om * 60
            seconds += b[i] == UInt8(ascii: "+") ? -offset : offset
        } else {
            return nil
        }
        self.init(microseconds: seconds * 1_000_000 + micros)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// A number with leading zeros to `width` digits.
func zeroPadded(_ value: Int64, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

extension Int64 {
    /// Quotient and remainder rounded toward negative infinity, so times before 1970 format right.
    func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let q = self / divisor, r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}

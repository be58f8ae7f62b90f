/// Rewrites `?` placeholders as PostgreSQL's `$1`, `$2`, ... A `?` inside a string literal
/// (`'...'`, `E'...'` with backslash escapes), a quoted identifier (`"..."`), a dollar-quoted body
/// (`$tag$...$tag$`) or a comment (`-- ...`, nested `/* ... */`) is text, not a placeholder.
public enum PostgresPlaceholders {
    public static func translate(_ sql: String) -> String {
        let b = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 16)
        var n = 0
        var i = 0
        /// Copies through the end of a region that closes with `close`; `backslash` honours `\\x`.
        func copyQuoted(close: UInt8, backslash: Bool) {
            out.append(b[i]); i += 1
            while i < b.count {
                let c = b[i]
                out.append(c); i += 1
                if backslash && c == UInt8(ascii: "\\"), i < b.count { out.append(b[i]); i += 1; continue }
                if c == close {
                    // A doubled quote is an escaped quote inside the region.
                    if i < b.count && b[i] == close { out.append(b[i]); i += 1; continue }
                    return
                }
            }
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "'"):
                let escapeString = i > 0 && (b[i - 1] == UInt8(ascii: "E") || b[i - 1] == UInt8(ascii: "e"))
                    && (i < 2 || !isIdentifier(b[i - 2]))
                copyQuoted(close: c, backslash: escapeString)
            case UInt8(ascii: "\""):
                copyQuoted(close: c, backslash: false)
            case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "-"):
                while i < b.count && b[i] != UInt8(ascii: "\n") { out.append(b[i]); i += 1 }
            case UInt8(ascii: "/") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "*"):
                var depth = 0
                repeat {
                    if b[i] == UInt8(ascii: "/") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "*") {
                        depth += 1; out += [b[i], b[i + 1]]; i += 2
                    } else if b[i] == UInt8(ascii: "*") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "/") {
                        depth -= 1; out += [b[i], b[i + 1]]; i += 2
                    } else {
                        out.append(b[i]); i += 1
                    }
                } while depth > 0 && i < b.count
            case UInt8(ascii: "$") where i == 0 || !isIdentifier(b[i - 1]):
                // `$tag$` (or `$$`) opens a dollar-quoted body that ends at the same tag.
                var j = i + 1
                while j < b.count && isIdentifier(b[j]) && !(j == i + 1 && isDigit(b[j])) { j += 1 }
                if j < b.count && b[j] == UInt8(ascii: "$") {
                    let tag = Array(b[i...j])
                    out += tag; i = j + 1
                    while i < b.count {
                        if b[i] == UInt8(ascii: "$") && i + tag.count <= b.count && Array(b[i..<i + tag.count]) == tag {
                            out += tag; i += tag.count
                            break
                        }
                        out.append(b[i]); i += 1
                    }
                } else {
                    out.append(c); i += 1
                }
            case UInt8(ascii: "?"):
                n += 1
                out += Array("$\(n)".utf8)
                i += 1
            default:
                out.append(c); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func isIdentifier(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }
}

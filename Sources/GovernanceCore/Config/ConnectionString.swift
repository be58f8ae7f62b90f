/// A `postgres://` / `postgresql://` URL in its parts, enough to mask the password and to name
/// the store without it. Not a validator: libpq parses the URL it connects with.
struct PostgresURL {
    var scheme: String
    var user: String?
    /// nil when the URL has no `user:password@`.
    var password: String?
    /// Hosts, port and path: everything between the userinfo and the query.
    var location: String
    var query: [(key: String, value: String)]
    private var hasQuery: Bool

    init?(_ url: String) {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        scheme = String(url[..<schemeEnd.lowerBound])
        var rest = url[schemeEnd.upperBound...]
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        // The last `@` before the query ends the userinfo, so an unencoded `@` in a password
        // is still masked whole.
        if let at = rest[..<queryStart].lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                user = String(userInfo[..<colon])
                password = String(userInfo[userInfo.index(after: colon)...])
            } else {
                user = String(userInfo)
            }
            rest = rest[rest.index(after: at)...]
        }
        let q = rest.firstIndex(of: "?") ?? rest.endIndex
        location = String(rest[..<q])
        hasQuery = q < rest.endIndex
        query = hasQuery ? rest[rest.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
            guard let eq = parameter.firstIndex(of: "=") else { return (String(parameter), "") }
            return (String(parameter[..<eq]), String(parameter[parameter.index(after: eq)...]))
        } : []
    }

    /// The URL again; with `redacting`, each password becomes `***`.
    func text(redacting: Bool) -> String {
        var out = scheme + "://"
        if let user {
            out += user
            if let password { out += ":" + (redacting ? "***" : password) }
            out += "@"
        }
        out += location
        if hasQuery && !query.isEmpty {
            out += "?" + query.map { pair in
                let value = redacting && Conninfo.isPassword(Self.percentDecoded(pair.key)) ? "***" : pair.value
                return pair.key + "=" + value
            }.joined(separator: "&")
        }
        return out
    }

    static func percentDecoded<S: StringProtocol>(_ text: S) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let c = utf8.first {
            if c == UInt8(ascii: "%"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.dropFirst().prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(c)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// libpq's key=value connection strings (`host=/run/pg dbname=audit password='x y'`).
enum Conninfo {
    /// The keywords libpq knows; a string opening with one of them is a conninfo, not a path.
    static let keywords: Set<String> = [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service", "options",
        "connect_timeout", "client_encoding", "application_name", "fallback_application_name",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "sslmode", "sslcert", "sslkey", "sslpassword", "sslrootcert", "sslcrl", "sslcrldir", "sslsni",
        "sslcompression", "sslnegotiation", "sslcertmode", "requirepeer", "require_auth", "channel_binding",
        "gssencmode", "krbsrvname", "gsslib", "gssdelegation", "target_session_attrs", "load_balance_hosts",
        "replication", "min_protocol_version", "max_protocol_version", "ssl_min_protocol_version",
        "ssl_max_protocol_version",
    ]

    static func isPassword(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return lowered == "password" || lowered == "sslpassword"
    }

    static func looksLikeConninfo(_ text: String) -> Bool {
        guard !text.contains("://"), let first = pairs(text).first else { return false }
        return keywords.contains(first.key.lowercased())
    }

    /// The key=value pairs, values unquoted; parsing stops at the first malformed pair.
    static func pairs(_ text: String) -> [(key: String, value: String)] {
        tokens(text).map { ($0.key, $0.value) }
    }

    /// The string with each password value replaced by `***` (quoting kept as written).
    static func redacted(_ text: String) -> String {
        let parsed = tokens(text)
        var out = ""
        var cursor = text.startIndex
        for token in parsed where isPassword(token.key) {
            out += text[cursor..<token.valueRange.lowerBound] + "***"
            cursor = token.valueRange.upperBound
        }
        let end = parsed.last?.valueRange.upperBound ?? text.startIndex
        out += text[cursor..<end]
        // Text after a pair that would not parse is not shown when it may hold a password.
        let leftover = text[end...]
        out += leftover.lowercased().contains("password") ? " ***" : String(leftover)
        return out
    }

    private struct Token {
        var key: String
        var value: String
        var valueRange: Range<String.Index>
    }

    private static func tokens(_ text: String) -> [Token] {
        var result: [Token] = []
        var i = text.startIndex
        func skipSpaces() { while i < text.endIndex, text[i].isWhitespace { i = text.index(after: i) } }
        while true {
            skipSpaces()
            guard i < text.endIndex else { return result }
            let keyStart = i
            while i < text.endIndex, text[i] != "=", !text[i].isWhitespace { i = text.index(after: i) }
            let key = String(text[keyStart..<i])
            skipSpaces()
            guard i < text.endIndex, text[i] == "=", !key.isEmpty else { return result }
            i = text.index(after: i)
            skipSpaces()
            let valueStart = i
            var value = ""
            if i < text.endIndex, text[i] == "'" {
                i = text.index(after: i)
                var closed = false
                while i < text.endIndex {
                    let c = text[i]
                    if c == "\\" {
                        i = text.index(after: i)
                        if i < text.endIndex { value.append(text[i]); i = text.index(after: i) }
                    } else if c == "'" {
                        i = text.index(after: i)
                        closed = true
                        break
                    } else {
                        value.append(c)
                        i = text.index(after: i)
                    }
                }
                // An unterminated quote: the rest is the value (and masked if it is a password).
                if !closed { i = text.endIndex }
            } else {
                while i < text.endIndex, !text[i].isWhitespace {
                    if text[i] == "\\" { i = text.index(after: i); if i == text.endIndex { break } }
                    value.append(text[i])
                    i = text.index(after: i)
                }
            }
            result.append(Token(key: key, value: value, valueRange: valueStart..<i))
        }
    }
}

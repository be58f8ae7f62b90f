/// An allowed API call, `METHOD URL`: the method matches exactly (case-insensitive), the scheme,
/// host and port exactly (the host case-insensitive; no wildcards), `*` matches within one path
/// segment, and a final `/*` matches one or more further segments (not the bare prefix). Query
/// strings and fragments of requests are ignored. docs/POLICIES.md has examples.
public struct APIPattern: Sendable, Equatable {
    public let method: String
    public let origin: Origin
    /// Path segments; a segment may hold `*` wildcards.
    public let segments: [String]
    /// The pattern ended in `/*`.
    public let anyRest: Bool

    public static let maxLength = 2_048

    /// The normalised text (method upper-cased, scheme and host lower-cased), as stored.
    public var text: String {
        method + " " + origin.text + "/" + (segments + (anyRest ? ["*"] : [])).joined(separator: "/")
    }

    public static func parse(_ text: String) throws(GovernanceError) -> APIPattern {
        guard text.utf8.count <= maxLength else { throw .invalid("an API pattern is at most \(maxLength) bytes") }
        let (method, url) = try APIRequest.splitMethod(text, what: "an API pattern")
        let (origin, rawPath) = try Origin.parse(url, what: "an API pattern")
        if rawPath.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || "?#%\\;".utf8.contains($0) }) {
            throw .invalid("the API pattern \(quoted(text)) may not hold ?, #, %, \\, ; or anything outside printable ASCII in its path (queries are ignored; write paths unencoded)")
        }
        var segments = try APIRequest.pathSegments(rawPath, what: "the API pattern \(quoted(text))")
        var anyRest = false
        if segments.last == "*" {
            segments.removeLast()
            anyRest = true
        }
        return APIPattern(method: method, origin: origin, segments: segments, anyRest: anyRest)
    }

    public func matches(_ request: APIRequest) -> Bool {
        guard request.method == method, request.origin == origin else { return false }
        if anyRest {
            let rest = request.segments.dropFirst(segments.count)
            guard request.segments.count > segments.count, rest.contains(where: { !$0.isEmpty }) else { return false }
        } else {
            guard request.segments.count == segments.count else { return false }
        }
        for (pattern, segment) in zip(segments, request.segments) where !Self.glob(Array(pattern.utf8), Array(segment.utf8)) {
            return false
        }
        return true
    }

    /// `*` matches any run of bytes (a segment holds no `/`); iterative, with one backtrack point.
    static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0, t = 0
        var star: Int? = nil, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let s = star {
                p = s + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Scheme, host and port.
    public struct Origin: Sendable, Equatable {
        public let scheme: String
        public let host: String
        public let port: Int
        let portWritten: Bool

        public static func == (a: Origin, b: Origin) -> Bool { a.scheme == b.scheme && a.host == b.host && a.port == b.port }

        var text: String {
            scheme + "://" + host + (portWritten ? ":" + String(port) : "")
        }

        /// `scheme://host[:port]` and the rest (the path, with any query). User information
        /// (`https://api.stripe.com@evil.io/`) is refused, never read past.
        static func parse(_ url: String, what: String) throws(GovernanceError) -> (Origin, Substring) {
            guard let schemeEnd = url.firstRange(of: "://") else {
                throw .invalid("\(what) needs an absolute URL such as https://api.example.com/v1/..., got \(quoted(url))")
            }
            let scheme = url[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "https" || scheme == "http" else {
                throw .invalid("\(what) must use http or https, got \(quoted(String(url[..<schemeEnd.lowerBound])))")
            }
            let afterScheme = url[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            guard !authority.contains("@") else { throw .invalid("\(what) may not carry user information (an @ before the host)") }
            var hostPart = authority
            var port = scheme == "https" ? 443 : 80
            var portWritten = false
            let closingBracket = authority.lastIndex(of: "]")
            if let colon = authority.lastIndex(of: ":"), closingBracket.map({ colon > $0 }) ?? true {
                let digits = authority[authority.index(after: colon)...]
                guard !digits.isEmpty, digits.count <= 5, digits.utf8.allSatisfy(isDigit), let p = Int(digits), (1...65_535).contains(p) else {
                    throw .invalid("\(what) has an invalid port \(quoted(String(digits)))")
                }
                port = p
                portWritten = true
                hostPart = authority[..<colon]
            }
            let host = hostPart.lowercased()
            let isIPv6 = host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2
                && host.dropFirst().dropLast().utf8.allSatisfy { isHexDigitByte($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
            let isName = !host.isEmpty && host.utf8.count <= 253 && !host.hasPrefix(".") && !host.hasSuffix(".") && !host.contains("..")
                && host.utf8.allSatisfy { isDigit($0) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
            guard isIPv6 || isName else {
                throw .invalid("\(what) has an invalid host \(quoted(String(hostPart))) (letters, digits, - and . only; no wildcards)")
            }
            let origin = Origin(scheme: scheme, host: host, port: port, portWritten: portWritten && port != (scheme == "https" ? 443 : 80))
            return (origin, afterScheme[authorityEnd...])
        }
    }
}

/// A call to check against the patterns: `METHOD URL`, parsed strictly. Its path segments are
/// matched as the server reads them, escapes decoded. A path that a server could read differently
/// from the matcher is refused rather than guessed at: dot segments (also encoded, and with
/// trailing dots or spaces), malformed escapes (`%`, `%zz`, `%2`), double encoding (any `%25`),
/// encoded slashes, backslashes, `?` or `#`, path parameters (`;`, `%3B`), NUL and other control
/// characters, anything outside ASCII (raw, or decoded: overlong UTF-8 such as `%c0%ae`, and
/// characters that servers fold to `.` or `/`), and empty segments (`//`).
public struct APIRequest: Sendable, Equatable {
    public let method: String
    public let origin: APIPattern.Origin
    /// Decoded; each is printable ASCII without `/`, `\\`, `%`, `;`, `?` or `#`.
    public let segments: [String]

    public static let maxLength = 8_192

    public static func parse(_ text: String) throws(GovernanceError) -> APIRequest {
        guard text.utf8.count <= maxLength else { throw .invalid("an API call is at most \(maxLength) bytes") }
        let (method, url) = try splitMethod(text, what: "an API call")
        let (origin, rest) = try APIPattern.Origin.parse(url, what: "an API call")
        let pathEnd = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let what = "the API call \(quoted(text))"
        var segments = try pathSegments(rest[..<pathEnd], what: what)
        for i in segments.indices {
            segments[i] = try decoded(segments[i], what: what)
            if isDotSegment(segments[i]) { throw .invalid("\(what) has a dot segment (., .., also encoded, or only dots and spaces) in its path") }
        }
        return APIRequest(method: method, origin: origin, segments: segments)
    }

    /// One path segment with its escapes decoded, or a refusal naming what a server could read
    /// differently.
    static func decoded(_ segment: String, what: String) throws(GovernanceError) -> String {
        let raw = Array(segment.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b != UInt8(ascii: "%") else {
                guard i + 2 < raw.count, let high = hexDigitValue(raw[i + 1]), let low = hexDigitValue(raw[i + 2]) else {
                    throw .invalid("\(what) has a malformed percent escape in its path (% must be followed by two hex digits)")
                }
                let c = high << 4 | low
                if c < 0x20 || c >= 0x7F {
                    throw .invalid("\(what) has an escape of a control or non-ASCII byte in its path (%\(Hex.encode([c]))); servers decode and normalise these differently")
                }
                if "%/\\;?#".utf8.contains(c) {
                    throw .invalid("\(what) has an encoded %, /, \\, ;, ? or # in its path (%\(Hex.encode([c]))); a server may decode it again or split on it")
                }
                out.append(c)
                i += 3
                continue
            }
            if b <= 0x20 || b >= 0x7F {
                throw .invalid("\(what) has a character outside printable ASCII in its path; servers normalise these differently")
            }
            if b == UInt8(ascii: ";") || b == UInt8(ascii: "\\") {
                throw .invalid("\(what) has a path parameter (;) or a backslash in its path")
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `.`, `..`, and what servers that trim trailing dots and spaces read as them or as an empty
    /// segment (`...`, `.. `, ` `).
    static func isDotSegment(_ segment: String) -> Bool {
        !segment.isEmpty && segment.utf8.allSatisfy { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: " ") }
    }

    /// `METHOD URL` with one space; the method is letters only, returned upper-cased.
    static func splitMethod(_ text: String, what: String) throws(GovernanceError) -> (String, String) {
        guard let space = text.firstIndex(of: " ") else {
            throw .invalid("\(what) is \"METHOD URL\", for example \"GET https://api.example.com/v1/items\"; got \(quoted(text))")
        }
        let method = text[..<space]
        let url = text[text.index(after: space)...]
        guard !method.isEmpty, method.count <= 16, method.utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) else {
            throw .invalid("\(what) has an invalid method \(quoted(String(method)))")
        }
        guard !url.isEmpty, !url.contains(where: { $0 == " " || $0 == "\t" }), !url.unicodeScalars.contains(where: Identifier.isControl) else {
            throw .invalid("\(what) has an invalid URL \(quoted(String(url)))")
        }
        return (method.uppercased(), String(url))
    }

    /// `/a/b` → ["a", "b"]; `/` → [""]; a trailing `/` leaves an empty last segment.
    static func pathSegments(_ path: Substring, what: String) throws(GovernanceError) -> [String] {
        if path.isEmpty { return [""] }
        guard path.first == "/" else { throw .invalid("\(what) has a path that does not start with /") }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (i, segment) in segments.enumerated() {
            if isDotSegment(segment) { throw .invalid("\(what) has a dot segment (. or ..) in its path") }
            if segment.isEmpty, i != segments.count - 1 { throw .invalid("\(what) has an empty path segment (//)") }
        }
        return segments
    }
}

@inline(__always) func isHexDigitByte(_ b: UInt8) -> Bool { hexDigitValue(b) != nil }

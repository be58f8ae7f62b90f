import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy between a client and a PostgreSQL unix socket that, for the next `drops` COMMITs
/// of a transaction that inserted audit events, forwards the COMMIT and then cuts the connection
/// instead of forwarding the reply: the server has committed, the client never hears it.
public final class CommitDroppingProxy: @unchecked Sendable {
    public let port: UInt16
    private let socketPath: String
    private let listener: Int32
    private let lock = NSLock()
    private var dropsLeft: Int
    private var droppedCount = 0

    /// `postgresURL` is the test cluster's URL (`postgresql:///postgres?host=DIR&user=postgres`).
    public init(postgresURL: String, drops: Int) throws {
        guard let host = URLComponents(string: postgresURL)?.queryItems?.first(where: { $0.name == "host" })?.value else {
            throw TestSetupError("no host= in \(postgresURL)")
        }
        socketPath = host + "/.s.PGSQL.5432"
        dropsLeft = drops
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw TestSetupError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && listen(listener, 64) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else { throw TestSetupError("cannot listen on 127.0.0.1") }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public var dropped: Int { lock.lock(); defer { lock.unlock() }; return droppedCount }

    /// A libpq URL through the proxy, with `query` (for example `options=...`) appended.
    public func url(query: String) -> String {
        "postgresql://postgres@127.0.0.1:\(port)/postgres?sslmode=disable&gssencmode=disable&" + query
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            let thread = Thread { [self] in pump(client) }
            thread.start()
        }
    }

    private func takeDrop() -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard dropsLeft > 0 else { return false }
        dropsLeft -= 1
        droppedCount += 1
        return true
    }

    private func pump(_ client: Int32) {
        let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in socketPath.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        defer { close(client); close(server) }
        guard connected == 0 else { return }
        var parsed: [UInt8] = []
        var startupSeen = false
        var insertedEvents = false
        var dropReply = false
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue } else { return } }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                parsed += buffer[0..<n]
                // Frontend messages: the startup message has no type byte; the rest are a type
                // byte and a big-endian length that counts itself.
                while true {
                    if !startupSeen {
                        guard parsed.count >= 4 else { break }
                        let length = Int(parsed[0]) << 24 | Int(parsed[1]) << 16 | Int(parsed[2]) << 8 | Int(parsed[3])
                        guard parsed.count >= length else { break }
                        parsed.removeFirst(length)
                        startupSeen = true
                        continue
                    }
                    guard parsed.count >= 5 else { break }
                    let length = Int(parsed[1]) << 24 | Int(parsed[2]) << 16 | Int(parsed[3]) << 8 | Int(parsed[4])
                    guard parsed.count >= 1 + length else { break }
                    let type = parsed[0]
                    let body = String(decoding: parsed[5..<(1 + length)], as: UTF8.self)
                    parsed.removeFirst(1 + length)
                    if type == UInt8(ascii: "P") || type == UInt8(ascii: "Q"), body.contains("INSERT INTO governance_audit_events") {
                        insertedEvents = true
                    }
                    if type == UInt8(ascii: "Q"), body.hasPrefix("COMMIT") || body.hasPrefix("ROLLBACK") {
                        if insertedEvents && body.hasPrefix("COMMIT") && takeDrop() { dropReply = true }
                        insertedEvents = false
                    }
                }
                var sent = 0
                while sent < n {
                    let w = buffer.withUnsafeBytes { write(server, $0.baseAddress! + sent, n - sent) }
                    if w <= 0 { return }
                    sent += w
                }
            }
            if fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(server, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                // The COMMIT went through; its reply never arrives.
                if dropReply { return }
                var sent = 0
                while sent < n {
                    let w = buffer.withUnsafeBytes { write(client, $0.baseAddress! + sent, n - sent) }
                    if w <= 0 { return }
                    sent += w
                }
            }
        }
    }
}

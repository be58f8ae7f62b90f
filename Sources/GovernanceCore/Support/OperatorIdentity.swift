import Glibc

/// Who performed an operator action (kill, revive, grant, deny, sweep). `name` is what `--by`
/// claimed (the OS user by default); the OS user and the host are recorded as well, whatever
/// `--by` says, so an audit reader can tell a claim from the account that made it.
public struct OperatorIdentity: Sendable, Equatable {
    public let name: String
    public let osUser: String
    public let host: String

    public init(name: String, osUser: String, host: String) {
        self.name = name
        self.osUser = osUser
        self.host = host
    }

    /// The identity of this process, `claimed` (from `--by`) or the OS user. The claim is
    /// checked as an identifier.
    public static func current(claimed: String?) throws -> OperatorIdentity {
        let user = osUserName()
        let name = claimed ?? user
        try Identifier.check(name, field: "operator")
        return OperatorIdentity(name: name, osUser: user, host: hostName())
    }

    /// `getpwuid(geteuid())`; `uid:N` when the account has no passwd entry (a container).
    public static func osUserName() -> String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            let text = String(cString: name)
            if !text.isEmpty { return text }
        }
        return "uid:\(uid)"
    }

    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? "unknown" : text
    }

    /// The fields every operator event's metadata carries.
    public var auditFields: [(String, JSONValue)] {
        [("by", .string(name)), ("os_user", .string(osUser)), ("host", .string(host))]
    }

    /// Where a signed action was made from (the operator is named by its signature).
    public var hostFields: [(String, JSONValue)] { [("os_user", .string(osUser)), ("host", .string(host))] }

    public var json: JSONValue { .object(auditFields) }
}

extension AuditLog {
    /// Validates and appends one event inside the caller's write transaction (operator actions
    /// are written in the same transaction as the change they record).
    @discardableResult
    func appendOne(_ input: AuditEventInput, at time: Timestamp) throws -> AuditRecord {
        try appendInTransaction([PendingEvent(input, metadata: try input.validated(), createdAt: time)], returningIDs: false)[0]
    }
}

/// Reads a document (a policy, pricing or response file, or stdin for `-`) with a bound: it stops
/// one byte past `limit`, so a huge or endless input costs the limit in memory, not all of it. A
/// named file must be a regular file (a FIFO or a device would hang or never end); a pipe comes
/// through stdin.
public enum DocumentFile {
    /// `purpose` names what the limit is for in the error ("a policy or pricing file").
    public static func read(_ path: String, what: String, limit: Int = YAMLReader.maxBytes,
                            purpose: String = "a policy or pricing file") throws(GovernanceError) -> [UInt8] {
        if path == "-" { return try read(fd: 0, what: "\(what) on stdin", limit: limit, purpose: purpose) }
        let fd = try FileSystem.openRegularFile(path, what: what)
        defer { FileSystem.close(fd) }
        return try read(fd: fd, what: "\(what) \(path)", limit: limit, purpose: purpose)
    }

    public static func read(fd: Int32, what: String, limit: Int = YAMLReader.maxBytes,
                            purpose: String = "a policy or pricing file") throws(GovernanceError) -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try FileSystem.readChunk(fd: fd, what: what) {
            out += chunk
            if out.count > limit {
                throw .invalid("\(what) is over \(byteSize(limit)), the limit for \(purpose)")
            }
        }
        return out
    }
}

/// Reads a policy or pricing file (or stdin, `-`) with a bound: it stops one byte past
/// `YAMLReader.maxBytes`, so a huge or endless input costs 1 MiB of memory, not all of it.
public enum DocumentFile {
    public static func read(_ path: String, what: String) throws(GovernanceError) -> [UInt8] {
        if path == "-" { return try read(fd: 0, what: "\(what) on stdin") }
        let fd = try FileSystem.openForReading(path, what: what)
        defer { FileSystem.close(fd) }
        return try read(fd: fd, what: "\(what) \(path)")
    }

    public static func read(fd: Int32, what: String) throws(GovernanceError) -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try FileSystem.readChunk(fd: fd, what: what) {
            out += chunk
            if out.count > YAMLReader.maxBytes {
                throw .invalid("\(what) is over \(YAMLReader.maxBytes) bytes (1 MiB), the limit for a policy or pricing file")
            }
        }
        return out
    }
}

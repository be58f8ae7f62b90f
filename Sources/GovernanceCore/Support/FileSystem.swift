import Glibc

/// The few file operations the core needs, on the C library directly (no Foundation at start-up).
public enum FileSystem {
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let s = String(cString: value)
        return s.isEmpty ? nil : s
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Reads a whole file; `what` names it in the error message.
    public static func readBytes(_ path: String, what: String = "file") throws(GovernanceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .invalid("cannot read \(what) \(path): \(errnoMessage())")
        }
        defer { close(fd) }
        return try readAll(fd: fd, what: "\(what) \(path)")
    }

    public static func readText(_ path: String, what: String = "file") throws(GovernanceError) -> String {
        let bytes = try readBytes(path, what: what)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid("\(what) \(path) is not valid UTF-8")
        }
        return text
    }

    public static func readAll(fd: Int32, what: String) throws(GovernanceError) -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try readChunk(fd: fd, what: what) { out += chunk }
        return out
    }

    /// The next bytes available from `fd` (at most 256 KiB); nil at end of file.
    public static func readChunk(fd: Int32, what: String) throws(GovernanceError) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 262_144)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .invalid("cannot read \(what): \(errnoMessage())")
            }
            if n == 0 { return nil }
            chunk.removeSubrange(n...)
            return chunk
        }
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Opens a file for reading; the caller closes it.
    public static func openForReading(_ path: String, what: String) throws(GovernanceError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .invalid("cannot read \(what) \(path): \(errnoMessage())") }
        return fd
    }

    /// Creates a directory and its parents (mode 0700 for new ones: the home holds the secret).
    public static func makeDirectories(_ path: String) throws(GovernanceError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if !isDirectory(prefix), mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw .config("cannot create directory \(prefix): \(errnoMessage())")
            }
        }
    }

    /// Writes a new file with `mode`, failing if it exists (so two first runs cannot both win).
    /// Returns false when the file already existed.
    public static func createExclusive(_ path: String, contents: String, mode: mode_t) throws(GovernanceError) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw .config("cannot create \(path): \(errnoMessage())")
        }
        defer { close(fd) }
        fchmod(fd, mode)
        var text = contents
        let ok = text.withUTF8 { buffer in write(fd, buffer.baseAddress, buffer.count) == buffer.count }
        guard ok, fsync(fd) == 0 else { throw .config("cannot write \(path): \(errnoMessage())") }
        return true
    }

    /// The names in a directory (not `.` or `..`); empty when it does not exist.
    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Makes a rename or unlink in `path` durable.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The permission bits of a file, or nil when it cannot be read.
    public static func permissions(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o777
    }
}

public func errnoMessage() -> String { String(cString: strerror(errno)) }

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
        while true {
            // Uninitialised: zeroing 256 KiB for every small file (each /proc/PID/stat of a process
            // scan) cost more than everything else a short command does.
            var failure: Int32 = 0
            let chunk = [UInt8](unsafeUninitializedCapacity: 262_144) { buffer, count in
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n < 0 { failure = errno; count = 0 } else { count = n }
            }
            if failure == EINTR { continue }
            if failure != 0 { throw .invalid("cannot read \(what): \(String(cString: strerror(failure)))") }
            return chunk.isEmpty ? nil : chunk
        }
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Opens a file for reading; the caller closes it.
    public static func openForReading(_ path: String, what: String) throws(GovernanceError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .invalid("cannot read \(what) \(path): \(errnoMessage())") }
        return fd
    }

    /// Opens a file for reading only when it is a regular file (checked on the descriptor, so no
    /// race); the caller closes it. Opened non-blocking, so naming a FIFO cannot hang the process
    /// in open(); anything else is invalid input (exit 2).
    public static func openRegularFile(_ path: String, what: String) throws(GovernanceError) -> Int32 {
        try openRegular(path, what: what, failure: .invalidInput).fd
    }

    static func openRegular(_ path: String, what: String, failure: GovernanceError.Kind) throws(GovernanceError) -> (fd: Int32, status: Status) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw GovernanceError(failure, "cannot read \(what) \(path): \(errnoMessage())") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let message = errnoMessage()
            close(fd)
            throw GovernanceError(failure, "cannot read \(what) \(path): \(message)")
        }
        let status = Status(st)
        guard status.isRegularFile else {
            close(fd)
            throw GovernanceError(failure, "\(what) \(path) is not a regular file (\(typeName(status.mode)))",
                                  hint: "name a plain file; a FIFO, device or directory is never read" + (failure == .invalidInput ? " (pass a pipe on stdin with -)" : ""))
        }
        return (fd, status)
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

    /// What one `stat` says about a path (symbolic links followed).
    public struct Status: Sendable, Equatable {
        public var mode: mode_t
        public var owner: uid_t
        public var device: UInt64
        public var inode: UInt64

        public var isRegularFile: Bool { mode & S_IFMT == S_IFREG }
        public var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
        public var permissions: mode_t { mode & 0o7777 }

        init(_ st: stat) {
            mode = st.st_mode
            owner = st.st_uid
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    public static func status(_ path: String) -> Status? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Status(st)
    }

    /// Reads a small file that must be a regular file, returning its bytes and its status from
    /// the same descriptor (no race between the check and the read). Opened non-blocking, so a
    /// FIFO or a device named by mistake (or by an attacker) cannot hang the process; anything
    /// but a regular file, and anything longer than `limit` bytes, is refused.
    public static func readRegularFile(_ path: String, limit: Int, what: String) throws(GovernanceError) -> (bytes: [UInt8], status: Status) {
        let (fd, status) = try openRegular(path, what: what, failure: .configuration)
        defer { close(fd) }
        var bytes: [UInt8] = []
        while bytes.count <= limit, let chunk = try readChunk(fd: fd, what: "\(what) \(path)") { bytes += chunk }
        guard bytes.count <= limit else { throw .config("\(what) \(path) is larger than \(limit) bytes") }
        return (bytes, status)
    }

    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        default: "not a plain file"
        }
    }

    /// A path as a shell word, for hints the user pastes (`chmod 600 PATH`).
    public static func shellQuoted(_ path: String) -> String {
        let safe = path.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || "/._-+,:@%=".utf8.contains(c)
        }
        if safe && !path.isEmpty { return path }
        return "'" + path.replacing("'", with: "'\\''") + "'"
    }

    /// Creates `path` as an empty file with `mode` (whatever the umask) unless it exists; true
    /// when this call created it. Symbolic links are not followed for the new file.
    public static func createEmptyFile(_ path: String, mode: mode_t) throws(GovernanceError) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw .unavailable("cannot create \(path): \(errnoMessage())", hint: "check that the directory exists and is writable")
        }
        defer { close(fd) }
        fchmod(fd, mode)
        return true
    }
}

public func errnoMessage() -> String { String(cString: strerror(errno)) }

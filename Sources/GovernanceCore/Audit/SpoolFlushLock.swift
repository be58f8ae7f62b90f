import Glibc

extension AuditSpool {
    /// Replays every pending file into `log`, oldest first, exactly once per event.
    ///
    /// Flushes of one spool folder take turns under an exclusive lock on the folder, so two
    /// processes never replay the same file at once, and a file the other one finished (and
    /// removed) is not taken for a damaged one. `audit log` replays the spool first too, so it
    /// waits here while another process flushes: its event then lands after the spooled ones.
    public func flush(into log: AuditLog, progress: ((Int) -> Void)? = nil) throws -> FlushReport {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // No folder, nothing spooled for this store.
        guard fd >= 0 else { return try flushHoldingLock(into: log, progress: progress) }
        defer { FileSystem.close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw GovernanceError.config("cannot lock the spool folder \(directory): \(errnoMessage())")
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try flushHoldingLock(into: log, progress: progress)
    }
}

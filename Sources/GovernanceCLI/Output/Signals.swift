import Glibc

enum Signals {
    /// A long-running command (`tail --follow`) must stop on SIGINT and SIGTERM even when the
    /// process that started it left those signals blocked or ignored.
    static func allowInterruption() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] {
            sigaddset(&set, s)
            signal(s, SIG_DFL)
        }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }
}

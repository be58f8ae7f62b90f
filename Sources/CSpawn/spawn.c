#define _GNU_SOURCE
#include "governance_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct governance_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/// In the child, between fork and exec: only async-signal-safe calls.
static void child(const governance_spawn_options *o, int report_fd, pid_t parent) {
    setpgid(0, 0);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        signal(s, SIG_DFL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    if (o->pdeathsig > 0) {
        prctl(PR_SET_PDEATHSIG, o->pdeathsig);
        // The parent may have died before the prctl took effect.
        if (getppid() != parent) _exit(127);
    }
    if (o->stdin_fd >= 0 && o->stdin_fd != 0) dup2(o->stdin_fd, 0);
    if (o->stdout_fd >= 0 && o->stdout_fd != 1) dup2(o->stdout_fd, 1);
    if (o->close_fd >= 0) close(o->close_fd);
    if (o->stdout_fd > 2 && o->stdout_fd != o->close_fd) close(o->stdout_fd);
    extern char **environ;
    environ = (char **)o->envp;
    execvp(o->file, o->argv);
    int e = errno;
    ssize_t ignored = write(report_fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

int governance_spawn(const governance_spawn_options *o, pid_t *pid_out, int *into_cgroup) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t pid = -1;
    *into_cgroup = 0;
    if (o->cgroup_fd >= 0) {
        struct governance_clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)o->cgroup_fd;
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) child(o, report[1], parent);
        if (pid > 0) *into_cgroup = 1;
    }
    if (pid < 0) {
        pid = fork();
        if (pid == 0) child(o, report[1], parent);
    }
    int saved = errno;
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return saved;
    }
    int child_errno = 0;
    ssize_t n;
    do { n = read(report[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return child_errno ? child_errno : ENOEXEC;
    }
    *pid_out = pid;
    return 0;
}

int governance_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : errno;
}

int governance_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}

int governance_random_bytes(void *buffer, size_t length) {
    size_t filled = 0;
    while (filled < length) {
        ssize_t n = getrandom((char *)buffer + filled, length - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        filled += (size_t)n;
    }
    return 0;
}

#ifndef GOVERNANCE_SPAWN_H
#define GOVERNANCE_SPAWN_H

#include <sys/types.h>

/// How a governed child starts. Every field is set by the caller; -1 (or 0 for pdeathsig) means
/// "not used".
typedef struct {
    /// The program: searched in PATH when it has no slash (as execvp does).
    const char *file;
    char *const *argv;
    char *const *envp;
    /// Duplicated onto 0 and 1 in the child.
    int stdin_fd;
    int stdout_fd;
    /// A descriptor the child must not keep (the read end of the output pipe).
    int close_fd;
    /// An open cgroup v2 directory the child is born into (clone3 CLONE_INTO_CGROUP), so that
    /// nothing it starts can be outside it even for an instant.
    int cgroup_fd;
    /// Sent to the child when its parent dies (PR_SET_PDEATHSIG).
    int pdeathsig;
} governance_spawn_options;

/// Starts the child in a process group of its own, with an empty signal mask and default signal
/// actions. Returns 0 and the pid, or the errno of what failed (the child's execvp errno is
/// passed back through a close-on-exec pipe). `*into_cgroup` tells whether the cgroup was used
/// (clone3 may be refused by a kernel or a seccomp filter; then the child starts with fork).
int governance_spawn(const governance_spawn_options *options, pid_t *pid, int *into_cgroup);

/// Makes this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER): a process its
/// child leaves behind becomes its child rather than init's, so it can be found and stopped.
int governance_set_child_subreaper(void);

/// pipe2(O_CLOEXEC): a pipe no other child inherits.
int governance_pipe_cloexec(int fds[2]);

/// getrandom(2), which Swift's Glibc module does not export: fills `buffer` from the kernel's
/// generator. Returns 0, or the errno of what failed.
int governance_random_bytes(void *buffer, size_t length);

#endif

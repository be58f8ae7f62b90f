import CSpawn
import Glibc

/// Keeps every process a governed step starts within reach, so that a kill or a timeout leaves
/// none behind, whatever the processes do:
/// - the supervising process is a child subreaper (PR_SET_CHILD_SUBREAPER): a process that its
///   parent leaves behind (a double fork, a `setsid()` daemon) becomes the supervisor's child, so
///   it is still a descendant to find and stop;
/// - the step's first process gets SIGKILL if the supervisor dies (PR_SET_PDEATHSIG);
/// - where a cgroup v2 directory can be made under the supervisor's own cgroup, the step is born
///   into it (clone3 CLONE_INTO_CGROUP) and stopped with `cgroup.kill`, which no process in it can
///   escape or race.
/// docs/SECURITY.md says what still escapes.
public final class StepContainment {
    /// The step's cgroup directory, when one could be made.
    public private(set) var cgroupPath: String?
    private var cgroupFD: Int32 = -1
    private let supervisor = getpid()

    /// Sets up the subreaper and, where possible, the cgroup. Never fails: without a cgroup the
    /// process tree is still followed through /proc.
    public init(name: String) {
        _ = governance_set_child_subreaper()
        // `process_tree` turns the cgroup off (tests of the fallback; hosts whose cgroups misbehave).
        guard FileSystem.environment(.execContainment) != "process_tree",
              let parent = Self.ownCgroupDirectory() else { return }
        let path = parent + "/" + name
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { return }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { rmdir(path); return }
        cgroupPath = path
        cgroupFD = fd
    }

    deinit { release() }

    /// The descriptor the step's first process is born into (-1 for none).
    var cgroupDescriptor: Int32 { cgroupFD }

    /// Called when clone3 could not use the cgroup: the tree is followed through /proc only.
    func cgroupUnused() { release() }

    /// Removes the (empty) cgroup directory.
    public func release() {
        if cgroupFD >= 0 { close(cgroupFD); cgroupFD = -1 }
        if let cgroupPath { rmdir(cgroupPath) }
        cgroupPath = nil
    }

    /// A process of the step: its id and its name (`/proc/PID/comm`), for `tool.result`.
    public struct Member: Sendable, Equatable {
        public var pid: Int32
        public var name: String
        var json: JSONValue { .object([("pid", .int(Int(pid))), ("name", .string(name))]) }
    }

    /// The supervisor's children before the step started: they are not the step's.
    private var baseline = Set<Int32>()
    /// The step's first process, once started.
    private(set) var root: Int32?

    /// Called just before the step's first process starts. With a cgroup the step's processes
    /// are its members, so /proc is not read at all.
    func willStart() {
        if cgroupPath == nil { baseline = Self.children(of: supervisor) }
    }

    func started(_ pid: Int32) { root = pid }

    /// Every live process of the step: the cgroup's members, the descendants of the step's first
    /// process, and (without a cgroup) the processes the supervisor adopted while the step ran,
    /// with their descendants.
    public func members() -> [Member] {
        var pids = Set<Int32>()
        if let cgroupPath {
            // Every process the step starts is born in the cgroup and cannot leave it unprivileged.
            if let text = try? FileSystem.readText(cgroupPath + "/cgroup.procs", what: "cgroup") {
                for line in text.split(separator: "\n") { if let pid = Int32(line), pid != supervisor { pids.insert(pid) } }
            }
        } else {
            let tree = Self.processTree()
            let roots: [Int32] = (root.map { [$0] } ?? []) + (tree[supervisor] ?? []).filter { !baseline.contains($0) && $0 != root }
            var queue = roots
            while let pid = queue.popLast() {
                guard pids.insert(pid).inserted else { continue }
                queue += tree[pid] ?? []
            }
        }
        return pids.sorted().compactMap { pid in
            guard let stat = Self.stat(pid), stat.state != "Z" else {
                reap(pid)
                return nil
            }
            return Member(pid: pid, name: stat.name)
        }
    }

    /// Sends `signal` to every process of the step (and, for SIGKILL, through `cgroup.kill`).
    /// Returns the processes it was sent to.
    @discardableResult
    public func signalAll(_ signal: Int32) -> [Member] {
        let found = members()
        if signal == SIGKILL, let cgroupPath {
            let fd = open(cgroupPath + "/cgroup.kill", O_WRONLY | O_CLOEXEC)
            if fd >= 0 { _ = write(fd, "1", 1); close(fd) }
        }
        for member in found { kill(member.pid, signal) }
        return found
    }

    /// SIGKILL until no process of the step is left (a process may fork between a scan and the
    /// signal, so this repeats; bounded so that a kernel that will not let go cannot hang it).
    /// Returns everything it killed. The step's first process is not reaped here (its status is
    /// the caller's).
    public func killAll() -> [Member] {
        var killed: [Int32: Member] = [:]
        for round in 0..<200 {
            let found = signalAll(SIGKILL)
            for member in found where killed[member.pid] == nil { killed[member.pid] = member }
            if found.isEmpty { break }
            usleep(round == 0 ? 1_000 : 5_000)
        }
        return killed.values.sorted { $0.pid < $1.pid }
    }

    /// Reaps an adopted orphan that has exited (never the step's first process, whose status the
    /// caller collects, nor a process that is not the supervisor's child).
    private func reap(_ pid: Int32) {
        guard pid != root else { return }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    // MARK: /proc

    struct ProcStat { var name: String; var state: Character; var parent: Int32 }

    /// `/proc/PID/stat`: the name sits between the first '(' and the last ')' (it may hold both).
    static func stat(_ pid: Int32) -> ProcStat? {
        guard let bytes = try? FileSystem.readBytes("/proc/\(pid)/stat", what: "stat"),
              let open = bytes.firstIndex(of: UInt8(ascii: "(")), let close = bytes.lastIndex(of: UInt8(ascii: ")")),
              open < close, close + 4 < bytes.count else { return nil }
        let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        let rest = bytes[(close + 2)...].split(separator: UInt8(ascii: " "), maxSplits: 3)
        guard rest.count >= 2, let state = String(decoding: rest[0], as: UTF8.self).first,
              let parent = Int32(String(decoding: rest[1], as: UTF8.self)) else { return nil }
        return ProcStat(name: name, state: state, parent: parent)
    }

    /// Each process's children, from one reading of /proc.
    static func processTree() -> [Int32: [Int32]] {
        var children: [Int32: [Int32]] = [:]
        for entry in FileSystem.list("/proc") {
            guard let pid = Int32(entry), let stat = stat(pid) else { continue }
            children[stat.parent, default: []].append(pid)
        }
        return children
    }

    static func children(of pid: Int32) -> Set<Int32> { Set(processTree()[pid] ?? []) }

    /// The cgroup v2 directory of this process (`0::/path` in /proc/self/cgroup, under the
    /// cgroup2 mount), when it is there and writable.
    static func ownCgroupDirectory() -> String? {
        guard let cgroups = try? FileSystem.readText("/proc/self/cgroup", what: "cgroup list"),
              let line = cgroups.split(separator: "\n").first(where: { $0.hasPrefix("0::") }),
              let mounts = try? FileSystem.readText("/proc/self/mountinfo", what: "mount list") else { return nil }
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTIONS
        var mountPoint: String?
        for entry in mounts.split(separator: "\n") {
            let halves = entry.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5, fields[3] == "/" else { continue }
            mountPoint = String(fields[4])
            break
        }
        guard let mountPoint else { return nil }
        let relative = String(line.dropFirst(3))
        let path = relative == "/" ? mountPoint : mountPoint + relative
        return access(path, W_OK) == 0 ? path : nil
    }
}

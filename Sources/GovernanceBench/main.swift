import Glibc
import GovernanceCore

// governance-bench GOVERNANCE_BINARY [--quick] [--only SECTION,...]
//
// Prints each figure beside a baseline measured in the same run on the same machine:
//   - batch append (in-process and `audit log --batch`) vs a plain multi-row INSERT of the same rows
//     through the same driver (SQLite, PostgreSQL), medians of alternating rounds
//   - verify of a 1,000,000-event chain vs reading the same rows without verifying (medians of 3 rounds)
//   - peak memory of `governance audit verify` at 10,000 and 1,000,000 events
//   - peak memory of `audit log --batch` (text and --json) over 10,000,000 rejected lines vs 10,000
//   - one `governance audit log` process vs one `sqlite3 DB "INSERT ..."`
//   - `compliance report --verify-chain` vs `audit verify` on the same 1,000,000 events: time and peak memory
//   - `mcp proxy`: the latency it adds per tools/call (p50, p99; 1 and 16 calls in flight) vs the
//     durable audit writes each call makes (tool.call and tool.result), measured in the same run
// PostgreSQL figures need GOVERNANCE_TEST_POSTGRES_URL (`make bench` starts a throwaway server).

let arguments = CommandLine.arguments

// `governance-bench --measure PROGRAM ARGS...`: run PROGRAM and print "SECONDS STATUS MAXRSS_KIB".
// Peak memory is measured from this small helper process because a child inherits the high-water
// mark of the process that spawns it, and the bench itself holds hundreds of MB of test events.
if arguments.count >= 3, arguments[1] == "--measure" {
    var env: [String: String] = [:]
    for (key, value) in arguments.dropFirst(2).prefix(while: { $0 != "--" }).map({ pair -> (String, String) in
        let parts = pair.split(separator: "=", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }) { env[key] = value }
    let command = Array(arguments.drop(while: { $0 != "--" }).dropFirst())
    let result = spawn(command[0], Array(command.dropFirst()), env: env)
    print("\(result.seconds) \(result.status) \(result.maxRSSKiB)")
    exit(0)
}

// `governance-bench --mcp-echo-server`: the smallest MCP server (stdio), so that the proxy's
// figure is not lost in a slow server's noise: initialize, tools/list (one tool), tools/call.
if arguments.count == 2, arguments[1] == "--mcp-echo-server" {
    var reader = LineReader(maxLineBytes: MCPMessage.maxBytes) { try FileSystem.readChunk(fd: 0, what: "stdin") }
    while let line = try? reader.nextLine() {
        guard case .line(let bytes) = line, case .success(.request(let id, let method, _)) = MCPMessage.classify(bytes) else { continue }
        let result: JSONValue = switch method {
        case "initialize": .object([("protocolVersion", .string("2025-11-25")), ("capabilities", .object([("tools", .object([]))])),
                                    ("serverInfo", .object([("name", .string("bench-echo")), ("version", .string("1"))]))])
        case "tools/list": .object([("tools", .array([.object([("name", .string("echo")), ("inputSchema", .object([("type", .string("object"))]))])]))])
        default: .object([("content", .array([.object([("type", .string("text")), ("text", .string("ok"))])])), ("isError", .bool(false))])
        }
        let out = MCPMessage.response(id: id, result: result)
        _ = out.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
    exit(0)
}

let sections = ["batch", "batch-memory", "verify", "one-process", "enforcement", "compliance", "exec", "startup", "mcp"]
/// `--only batch,verify`: run just those sections (while working on one figure); the default is all.
let only: Set<String> = {
    guard let i = arguments.firstIndex(of: "--only"), i + 1 < arguments.count else { return Set(sections) }
    return Set(arguments[i + 1].split(separator: ",").map(String.init))
}()
/// `--previous BINARY`: an earlier `governance` whose start-up the `startup` section counts beside this one's.
let previousBinary: String? = {
    guard let i = arguments.firstIndex(of: "--previous"), i + 1 < arguments.count, !arguments[i + 1].isEmpty else { return nil }
    return arguments[i + 1]
}()
guard arguments.count >= 2, only.isSubset(of: sections),
      !arguments.dropFirst().contains(where: { $0.hasPrefix("-") && !["--quick", "--only", "--previous"].contains($0) }) else {
    say("usage: governance-bench GOVERNANCE_BINARY [--quick] [--only SECTION,...] [--previous BINARY]  (sections: \(sections.joined(separator: ", ")))")
    exit(2)
}
let binary = arguments[1]
let quick = arguments.contains("--quick")
let secret = "bench-secret-7c4e1a9f3b6d2085-governance-bench"
let keys = try AuditSecret(value: secret, source: "bench").keys
let batchEvents = quick ? 20_000 : 200_000
let batchRounds = quick ? 3 : 5
let verifyEvents = quick ? 100_000 : 1_000_000
let workDir = "/tmp/governance-bench-\(getpid())"
mkdir(workDir, 0o700)

@MainActor func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Progress for the person waiting, on stderr; the table goes to stdout.
func say(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

struct Row {
    let name: String
    let figure: String
    let baseline: String
    let ratio: Double?
    let target: String
    let met: Bool?
}
var rows: [Row] = []

@MainActor func rate(_ n: Int, _ seconds: Double) -> String { grouped(Int((Double(n) / seconds).rounded())) + "/s" }
@MainActor func grouped(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return out
}

/// The stores and files of a run take a gigabyte or more: nothing is left behind.
@MainActor func removeWorkDir() {
    _ = spawn("/bin/rm", ["-rf", workDir], env: ["PATH": "/usr/bin:/bin"])
}

// MARK: stores

@MainActor func sqliteStore(_ name: String) throws -> (Store, String) {
    let path = "\(workDir)/\(name).db"
    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    return (try Store(location: .sqlite(path: path), migration: .automatic), "sqlite:" + path)
}

let postgresBase = FileSystem.environment("GOVERNANCE_TEST_POSTGRES_URL")
@MainActor func postgresStore(_ name: String) throws -> (Store, String) {
    guard let base = postgresBase else { throw GovernanceError.config("GOVERNANCE_TEST_POSTGRES_URL is not set") }
    let admin = try PostgresConnection(url: base)
    try admin.executeScript("DROP SCHEMA IF EXISTS bench_\(name) CASCADE; CREATE SCHEMA bench_\(name)")
    let url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3Dbench_\(name)"
    return (try Store(location: .postgres(url: url), migration: .automatic), url)
}

@MainActor func events(_ count: Int, sessions: [SessionID]) throws -> [PendingEvent] {
    let start = Timestamp.now().microseconds
    return try (0..<count).map { i in
        let e = AuditEventInput(sessionID: sessions[i % sessions.count], agentID: "bench-agent-\(i % 7)", kind: i % 2 == 0 ? "agent.llm_step" : "agent.step",  // audit log refuses governance's own kinds
                                model: i % 2 == 0 ? "gpt-4o-mini" : nil, inputHash: i % 3 == 0 ? Digest.sha256Hex("input \(i)") : nil,
                                metadata: .object([("i", .int(i)), ("prompt_tokens", .int(150 + i % 50)), ("tool", .string("refunds.create"))]))
        return PendingEvent(e, metadata: try e.validated(), createdAt: Timestamp(microseconds: start + Int64(i)))
    }
}

/// The baseline: the same rows through the same driver with the same statement and transaction
/// sizes, into a table with the same columns and indexes, without the chain (no head read, no
/// HMAC, no session head).
@MainActor func plainInsert(_ db: SQLConnection, _ pending: [PendingEvent]) throws -> Double {
    try db.executeScript("""
        CREATE TABLE bench_plain_events AS SELECT * FROM governance_audit_events WHERE 1 = 0;
        CREATE UNIQUE INDEX bench_plain_session_seq ON bench_plain_events (session_id, seq);
        CREATE INDEX bench_plain_agent ON bench_plain_events (agent_id, created_at_us);
        CREATE INDEX bench_plain_created ON bench_plain_events (created_at_us);
        """)
    if db.dialect == .postgres {
        try db.executeScript("CREATE SEQUENCE bench_plain_id; ALTER TABLE bench_plain_events ALTER COLUMN id SET DEFAULT nextval('bench_plain_id')")
    }
    let fakeHash = String(repeating: "ab", count: 32)
    var seqs: [String: Int64] = [:]
    let perStatement = min(500, db.maxParameters / 11)
    // Written as `AuditLog` writes its own: the statement text made once, parameters appended.
    func statement(_ rows: Int) -> String {
        "INSERT INTO bench_plain_events (session_id, seq, agent_id, kind, model, input_hash, output_hash, metadata, created_at_us, prev_hash, hmac) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }
    let full = statement(perStatement)
    let started = now()
    var start = 0
    while start < pending.count {
        let chunkEnd = min(start + AuditLog.eventsPerTransaction, pending.count)
        try db.writeTransaction {
            var s = start
            while s < chunkEnd {
                let e = min(s + perStatement, chunkEnd)
                let sql = e - s == perStatement ? full : statement(e - s)
                var parameters: [SQLValue] = []
                parameters.reserveCapacity((e - s) * 11)
                for i in s..<e {
                    let p = pending[i], ev = p.event
                    let seq = (seqs[ev.sessionID.value] ?? 0) + 1
                    seqs[ev.sessionID.value] = seq
                    parameters.append(.text(ev.sessionID.value))
                    parameters.append(.int(seq))
                    parameters.append(.text(ev.agentID))
                    parameters.append(.text(ev.kind))
                    parameters.append(.optional(ev.model))
                    parameters.append(.optional(ev.inputHash))
                    parameters.append(.optional(ev.outputHash))
                    parameters.append(.text(p.metadata))
                    parameters.append(.int(p.createdAt.microseconds))
                    parameters.append(.text(fakeHash))
                    parameters.append(.text(fakeHash))
                }
                try db.execute(sql, parameters)
                s = e
            }
        }
        start = chunkEnd
    }
    return now() - started
}

// MARK: processes

/// Runs a program; returns its wall time, exit status and peak resident memory (KiB).
@MainActor func spawn(_ program: String, _ args: [String], env: [String: String]) -> (seconds: Double, status: Int32, maxRSSKiB: Int) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let argv = ([program] + args).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid: pid_t = 0
    let started = now()
    guard posix_spawnp(&pid, program, &actions, nil, argv, envp) == 0 else { return (0, 127, 0) }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    return (now() - started, (status >> 8) & 0xFF, Int(usage.ru_maxrss))
}

/// Seconds as milliseconds with one decimal.
@MainActor func milliseconds(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10_000).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

/// Runs a program through `governance-bench --measure`, so its peak memory is its own.
@MainActor func measured(_ program: String, _ args: [String], env: [String: String]) -> (seconds: Double, status: Int32, maxRSSKiB: Int) {
    let output = "\(workDir)/measure.out"
    let helper = CommandLine.arguments[0]
    let script = "exec \"$0\" --measure \"$@\" > \(output)"
    let envArgs = env.map { "\($0.key)=\($0.value)" }
    let run = spawn("/bin/sh", ["-c", script, helper] + envArgs + ["--", program] + args, env: ["PATH": "/usr/bin:/bin"])
    guard run.status == 0, let text = try? FileSystem.readText(output) else { return (0, 127, 0) }
    let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    return (Double(fields[0]) ?? 0, Int32(fields[1]) ?? 127, Int(fields[2]) ?? 0)
}

/// Runs two commands alternately (so both see the same machine), `quick ? 15 : 41` times each;
/// returns the median seconds of each. `run` gets the run's number and returns both results.
@MainActor func interleavedMedians(_ name: String,
                                   _ run: (Int) -> ((seconds: Double, status: Int32, maxRSSKiB: Int), (seconds: Double, status: Int32, maxRSSKiB: Int)))
    throws -> (ours: Double, theirs: Double) {
    var ours: [Double] = [], theirs: [Double] = []
    for i in 0..<(quick ? 15 : 41) {
        let (a, b) = run(i)
        guard a.status == 0, b.status == 0 else { throw GovernanceError.internalError("\(name) bench failed: \(a.status) \(b.status)") }
        ours.append(a.seconds)
        theirs.append(b.seconds)
    }
    return (median(ours), median(theirs))
}

@MainActor func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

@MainActor func baseEnv(_ url: String) -> [String: String] {
    ["PATH": "/usr/bin:/bin", "HOME": workDir, "GOVERNANCE_HOME": workDir, "GOVERNANCE_DATABASE_URL": url, "GOVERNANCE_AUDIT_SECRET": secret]
}

// MARK: 1. batch append

@MainActor func benchBatch(_ backend: String, _ open: (String) throws -> (Store, String)) throws {
    let sessions = try (0..<10).map { _ in try SessionID.random() }
    let pending = try events(batchEvents, sessions: sessions)
    // The same events as JSON lines, for `audit log --batch`.
    let file = "\(workDir)/batch.jsonl.\(backend)"
    var text = ""
    for p in pending {
        text += "{\"session_id\":\"\(p.event.sessionID.value)\",\"agent_id\":\"\(p.event.agentID)\",\"kind\":\"\(p.event.kind)\",\"metadata\":\(p.metadata)}\n"
    }
    _ = try FileSystem.createExclusive(file, contents: text, mode: 0o600)
    // Each figure is the median of `batchRounds` rounds, the three runs of a round one after the
    // other into fresh stores, so that all three see the same machine.
    var plain: [Double] = [], chained: [Double] = [], cli: [Double] = []
    for round in 1...batchRounds {
        say("batch append, \(backend): \(grouped(batchEvents)) events, round \(round) of \(batchRounds) ...")
        do {
            let (plainStore, _) = try open("plain_\(backend)")
            plain.append(try plainInsert(plainStore.connection, pending))
        }
        do {
            let (chainStore, _) = try open("chain_\(backend)")
            let log = AuditLog(db: chainStore.connection, keys: keys)
            let started = now()
            try log.append(batch: pending)
            chained.append(now() - started)
        }
        // End to end: the process reads the file, parses and validates each line and begins its
        // MAC on a second thread, and appends.
        let (_, cliURL) = try open("cli_\(backend)")
        let run = spawn(binary, ["-q", "audit", "log", "--batch", file], env: baseEnv(cliURL))
        guard run.status == 0 else { throw GovernanceError.internalError("audit log --batch failed with \(run.status)") }
        cli.append(run.seconds)
    }
    let baseline = median(plain), core = median(chained), process = median(cli)
    rows.append(Row(name: "batch append, \(backend) (events/s)", figure: rate(batchEvents, core), baseline: rate(batchEvents, baseline),
                    ratio: baseline / core, target: ">= 50% of plain multi-row INSERT", met: baseline / core >= 0.5))
    // 80% for the embedded store. On PostgreSQL the server's own work on the same
    // rows is most of the time and the client waits while it hashes (docs/BENCHMARKS.md).
    let target = backend == "SQLite" ? 0.8 : 0.5
    rows.append(Row(name: "  the same via `audit log --batch` (events/s)", figure: rate(batchEvents, process), baseline: rate(batchEvents, baseline),
                    ratio: baseline / process, target: ">= \(Int(target * 100))% of plain multi-row INSERT", met: baseline / process >= target))
}

// MARK: 2. verify and memory

@MainActor func benchVerify(_ backend: String, _ open: (String) throws -> (Store, String)) throws {
    let session = try SessionID.random()
    let (store, url) = try open("verify_\(backend)")
    say("verify, \(backend): building a \(grouped(verifyEvents))-event chain ...")
    let log = AuditLog(db: store.connection, keys: keys)
    var built = 0
    while built < verifyEvents {
        let n = min(100_000, verifyEvents - built)
        try log.append(batch: try events(n, sessions: [session]))
        built += n
    }
    // Baseline: the same query, the same rows decoded, no verification. Medians of three
    // alternating rounds, as for the batch.
    var plains: [Double] = [], verifies: [Double] = []
    for round in 1...3 {
        say("verify, \(backend): reading and verifying, round \(round) of 3 ...")
        var read = 0
        var started = now()
        try AuditQuery(db: store.connection).all { _ in read += 1 }
        plains.append(now() - started)
        started = now()
        let report = try ChainVerifier(db: store.connection, keys: keys).verify()
        verifies.append(now() - started)
        guard report.ok, report.rowsVerified == verifyEvents, read == verifyEvents else {
            throw GovernanceError.internalError("verify bench: \(report.rowsVerified) verified, \(read) read")
        }
    }
    let plain = median(plains), verified = median(verifies)
    let ratio = plain / verified
    rows.append(Row(name: "verify \(grouped(verifyEvents)), \(backend) (events/s)", figure: rate(verifyEvents, verified), baseline: rate(verifyEvents, plain),
                    ratio: ratio, target: ">= 90% of reading without verifying", met: ratio >= 0.9))

    // Peak memory of the real command at 10,000 and at the full chain.
    let (small, smallURL) = try open("verify_small_\(backend)")
    try AuditLog(db: small.connection, keys: keys).append(batch: try events(10_000, sessions: [try SessionID.random()]))
    let smallRun = measured(binary, ["-q", "audit", "verify"], env: baseEnv(smallURL))
    let bigRun = measured(binary, ["-q", "audit", "verify"], env: baseEnv(url))
    guard smallRun.status == 0, bigRun.status == 0 else { throw GovernanceError.internalError("audit verify failed: \(smallRun.status) \(bigRun.status)") }
    let memoryRatio = Double(bigRun.maxRSSKiB) / Double(smallRun.maxRSSKiB)
    rows.append(Row(name: "verify peak memory, \(backend) (\(grouped(verifyEvents)) vs 10,000)", figure: "\(grouped(bigRun.maxRSSKiB)) KiB",
                    baseline: "\(grouped(smallRun.maxRSSKiB)) KiB", ratio: memoryRatio, target: "<= 1.5x", met: memoryRatio <= 1.5))
    rows.append(Row(name: "  `audit verify` process, \(backend) (events/s)", figure: rate(verifyEvents, bigRun.seconds), baseline: "",
                    ratio: nil, target: "(whole process; no target)", met: nil))
}

// MARK: 2b. batch memory

/// `lines` rejected lines: alternately not JSON and an unknown field, so that each has a reason
/// quoting the input.
@MainActor func writeRejectedLines(_ path: String, _ lines: Int) throws {
    unlink(path)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else { throw GovernanceError.internalError("cannot create \(path)") }
    defer { close(fd) }
    let pair = Array("x\n{\"k\":1}\n".utf8)
    var chunk: [UInt8] = []
    chunk.reserveCapacity(pair.count * 50_000)
    var written = 0
    while written < lines {
        chunk.removeAll(keepingCapacity: true)
        while written < lines, chunk.count < pair.count * 50_000 {
            chunk += written + 1 < lines ? pair : Array(pair.prefix(2))
            written += 2
        }
        guard chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == chunk.count else {
            throw GovernanceError.internalError("cannot write \(path)")
        }
    }
}

@MainActor func benchBatchMemory() throws {
    let big = quick ? 1_000_000 : 10_000_000
    let small = 10_000
    let (_, url) = try sqliteStore("batch_memory")
    let session = try SessionID.random().value
    say("batch memory: writing \(grouped(big)) rejected lines ...")
    try writeRejectedLines("\(workDir)/rejected-small.jsonl", small)
    try writeRejectedLines("\(workDir)/rejected-big.jsonl", big)
    for json in [false, true] {
        let mode = json ? "--json" : "text"
        say("batch memory, \(mode): \(grouped(small)) and \(grouped(big)) rejected lines ...")
        let args = (json ? ["--json"] : []) + ["audit", "log", "--batch"]
        let tail = ["-a", "bench", "-k", "step", "-s", session]
        let smallRun = measured(binary, args + ["\(workDir)/rejected-small.jsonl"] + tail, env: baseEnv(url))
        let bigRun = measured(binary, args + ["\(workDir)/rejected-big.jsonl"] + tail, env: baseEnv(url))
        guard smallRun.status == 0, bigRun.status == 0 else {
            throw GovernanceError.internalError("audit log --batch of rejected lines exited \(smallRun.status) \(bigRun.status)")
        }
        let ratio = Double(bigRun.maxRSSKiB) / Double(smallRun.maxRSSKiB)
        rows.append(Row(name: "batch peak memory, \(mode) (\(grouped(big)) vs \(grouped(small)) rejected)", figure: "\(grouped(bigRun.maxRSSKiB)) KiB",
                        baseline: "\(grouped(smallRun.maxRSSKiB)) KiB", ratio: ratio, target: "<= 1.5x", met: ratio <= 1.5))
    }
    unlink("\(workDir)/rejected-big.jsonl")
}

// MARK: 3. one audit log process

@MainActor func benchOneProcess() throws {
    let (_, url) = try sqliteStore("one")
    let path = String(url.dropFirst("sqlite:".count))
    let env = baseEnv(url)
    let session = try SessionID.random().value
    // Warm both up once (page cache, the table exists, the WAL is set).
    _ = spawn(binary, ["-q", "audit", "log", "-a", "bench", "-k", "step", "-s", session], env: env)
    _ = spawn("sqlite3", [path, "CREATE TABLE IF NOT EXISTS plain_one AS SELECT * FROM governance_audit_events WHERE 0"], env: env)
    let (ours, theirs) = try interleavedMedians("one-process") { i in
        (spawn(binary, ["-q", "audit", "log", "-a", "bench", "-k", "step", "-s", session, "--metadata", "{\"i\":\(i)}"], env: env),
         spawn("sqlite3", [path, "INSERT INTO plain_one (session_id, seq, agent_id, kind, metadata, created_at_us, prev_hash, hmac) VALUES ('\(session)', \(i), 'bench', 'step', '{\"i\":\(i)}', 0, 'x', 'y')"], env: env))
    }
    let ratio = ours / theirs
    rows.append(Row(name: "one `audit log` process (median ms)", figure: milliseconds(ours),
                    baseline: milliseconds(theirs) + " (sqlite3 INSERT)",
                    ratio: ratio, target: "<= 1.5x the sqlite3 one-row insert", met: ratio <= 1.5))
}

// MARK: 4. enforcement commands

/// `scope check` and `cost check` as a wrapping script runs them (one process each, embedded
/// store), beside `sqlite3` running the same lookups on the same file, interleaved run by run.
@MainActor func benchEnforcement() throws {
    let (_, url) = try sqliteStore("enforce")
    let path = String(url.dropFirst("sqlite:".count))
    let env = baseEnv(url)
    let policy = "\(workDir)/policy.yaml"
    _ = try FileSystem.createExclusive(policy, contents: """
        agents:
          bench:
            scope: {allowed_tools: [read_invoice, send_email]}
            budget: {per_session_usd: 100.00, per_session_tokens: 100000000, per_agent_usd_daily: 1000.00}
        """, mode: 0o600)
    try applyPolicy(policy, env: env)
    let session = try SessionID.random().value
    _ = spawn(binary, ["-q", "cost", "track", "-a", "bench", "-s", session, "--tokens", "10", "--usd", "0.01"], env: env)
    let today = String(Timestamp.now().iso8601.prefix(10))
    // What each command must read: the kill marker and the policy; for cost check also the
    // session's and the day's counters.
    let scopeSQL = "SELECT (SELECT reason FROM governance_kill_markers WHERE agent_id = 'bench'), policy FROM governance_policies WHERE agent_id = 'bench'"
    let costSQL = "SELECT (SELECT reason FROM governance_kill_markers WHERE agent_id = 'bench'), p.policy, s.usd_nanos, s.tokens, s.started_at_us, d.usd_nanos, d.tokens FROM governance_policies p LEFT JOIN governance_cost_sessions s ON s.agent_id = p.agent_id AND s.session_id = '\(session)' LEFT JOIN governance_cost_daily d ON d.agent_id = p.agent_id AND d.day = '\(today)' WHERE p.agent_id = 'bench'"
    let cases: [(String, [String], String)] = [
        ("scope check", ["-q", "scope", "check", "-a", "bench", "-t", "read_invoice", "-s", session], scopeSQL),
        ("cost check", ["-q", "cost", "check", "-a", "bench", "-s", session], costSQL),
    ]
    for (name, args, sql) in cases {
        _ = spawn(binary, args, env: env)
        _ = spawn("sqlite3", [path, sql], env: env)
        let (ours, theirs) = try interleavedMedians(name) { _ in (spawn(binary, args, env: env), spawn("sqlite3", [path, sql], env: env)) }
        let ratio = ours / theirs
        rows.append(Row(name: "one `\(name)` process (median ms)", figure: milliseconds(ours),
                        baseline: milliseconds(theirs) + " (sqlite3 SELECT)",
                        ratio: ratio, target: "<= 2x sqlite3 running the same lookup", met: ratio <= 2))
    }
    // A check that reserves its projection (and settles nothing) beside the plain check.
    let plain = ["-q", "cost", "check", "-a", "bench", "-s", session]
    let reserving = plain + ["--projected-tokens", "1000"]
    let (ours, theirs) = try interleavedMedians("cost check --projected-tokens") { _ in (spawn(binary, reserving, env: env), spawn(binary, plain, env: env)) }
    let ratio = ours / theirs
    rows.append(Row(name: "one `cost check --projected-tokens` process, reserving (median ms)", figure: milliseconds(ours),
                    baseline: milliseconds(theirs) + " (plain `cost check`)",
                    ratio: ratio, target: "<= 1.5x the plain check", met: ratio <= 1.5))
}

// MARK: 5. compliance report (kept apart: other benches are edited elsewhere)

/// A governed-looking log: many sessions and agents over 30 days, with policies, model calls,
/// tool calls, violations, gates and kills, so every section of the report has work to do.
@MainActor func complianceEvents(_ count: Int, from first: Int, total: Int, sessions: [SessionID], start: Int64) throws -> [PendingEvent] {
    let kinds = ["llm.call", "tool.call", "llm.call", "tool.call", "tool.result", "llm.call", "tool.call", "scope.violation",
                 "gate.requested", "gate.granted", "budget.exceeded", "loop.detected", "policy.applied", "presence.kill"]
    let models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "mistral/mistral-large-latest"]
    let step = Int64(30) * 86_400_000_000 / Int64(total)
    return try (first..<(first + count)).map { i in
        let kind = i % 97 == 0 ? kinds[7 + (i / 97) % 7] : kinds[i % 7]
        var metadata: [(String, JSONValue)] = [("i", .int(i))]
        if kind.hasPrefix("gate.") || kind == EventKind.operatorKill || kind == EventKind.policyApplied {
            metadata += [("by", .string("op-\(i % 5)")), ("request_id", .string("r-\(i)"))]
        }
        let e = AuditEventInput(sessionID: sessions[i % sessions.count], agentID: "agent-\(i % sessions.count % 40)", kind: kind,
                                model: kind == EventKind.llmCall ? models[i % models.count] : nil,
                                inputHash: i % 3 == 0 ? Digest.sha256Hex("input \(i)") : nil, metadata: .object(metadata))
        return PendingEvent(e, metadata: try e.validated(), createdAt: Timestamp(microseconds: start + Int64(i) * step))
    }
}

/// Seconds with two decimals.
@MainActor func secondsText(_ seconds: Double) -> String {
    let hundredths = Int((seconds * 100).rounded())
    return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
}

@MainActor func buildComplianceLog(_ name: String, events total: Int) throws -> String {
    let (store, url) = try sqliteStore(name)
    let sessions = try (0..<max(10, total / 1_000)).map { _ in try SessionID.random() }
    let log = AuditLog(db: store.connection, keys: keys)
    let start = Timestamp.now().microseconds - Int64(31) * 86_400_000_000
    var built = 0
    while built < total {
        let n = min(100_000, total - built)
        try log.append(batch: try complianceEvents(n, from: built, total: total, sessions: sessions, start: start))
        built += n
    }
    return url
}

/// `compliance report --kind article12 --verify-chain` next to `audit verify` on the same log:
/// the report's one pass is the verification, so it should cost little more; and its memory
/// stays flat from 10,000 events to the full log.
@MainActor func benchComplianceReport() throws {
    say("compliance report, SQLite: building a \(grouped(verifyEvents))-event governed log ...")
    let url = try buildComplianceLog("compliance", events: verifyEvents)
    let smallURL = try buildComplianceLog("compliance_small", events: 10_000)
    say("compliance report, SQLite: audit verify, then the report ...")
    let report = ["-q", "compliance", "report", "--kind", "article12", "--verify-chain", "--format", "json"]
    let verifyRun = measured(binary, ["-q", "audit", "verify"], env: baseEnv(url))
    let reportRun = measured(binary, report, env: baseEnv(url))
    let smallReport = measured(binary, report, env: baseEnv(smallURL))
    let htmlRun = measured(binary, ["-q", "compliance", "report", "--kind", "article12", "--verify-chain", "--format", "html"], env: baseEnv(url))
    guard verifyRun.status == 0, reportRun.status == 0, smallReport.status == 0, htmlRun.status == 0 else {
        throw GovernanceError.internalError("compliance bench: verify \(verifyRun.status), report \(reportRun.status), small \(smallReport.status), html \(htmlRun.status)")
    }
    let timeRatio = reportRun.seconds / verifyRun.seconds
    rows.append(Row(name: "compliance report \(grouped(verifyEvents)), SQLite (s)", figure: secondsText(reportRun.seconds),
                    baseline: secondsText(verifyRun.seconds) + " (audit verify)", ratio: timeRatio,
                    target: "<= 1.3x the verify it contains", met: timeRatio <= 1.3))
    rows.append(Row(name: "  as HTML, SQLite (s)", figure: secondsText(htmlRun.seconds),
                    baseline: secondsText(verifyRun.seconds) + " (audit verify)", ratio: htmlRun.seconds / verifyRun.seconds,
                    target: "<= 1.3x the verify it contains", met: htmlRun.seconds / verifyRun.seconds <= 1.3))
    let memoryRatio = Double(reportRun.maxRSSKiB) / Double(verifyRun.maxRSSKiB)
    rows.append(Row(name: "compliance report peak memory, SQLite", figure: "\(grouped(reportRun.maxRSSKiB)) KiB",
                    baseline: "\(grouped(verifyRun.maxRSSKiB)) KiB (audit verify)", ratio: memoryRatio, target: "<= 1.5x verify's", met: memoryRatio <= 1.5))
    let flatRatio = Double(reportRun.maxRSSKiB) / Double(smallReport.maxRSSKiB)
    rows.append(Row(name: "  report peak memory (\(grouped(verifyEvents)) vs 10,000)", figure: "\(grouped(reportRun.maxRSSKiB)) KiB",
                    baseline: "\(grouped(smallReport.maxRSSKiB)) KiB", ratio: flatRatio, target: "<= 1.5x", met: flatRatio <= 1.5))
}

/// Applies a policy file as an operator: one key per store, registered on first use.
@MainActor func applyPolicy(_ file: String, env: [String: String], using tool: String = binary) throws {
    let key = "\(workDir)/operator-\(Digest.sha256Hex(env["GOVERNANCE_DATABASE_URL"] ?? "").prefix(12)).pem"
    if !FileSystem.exists(key) {
        let made = try OperatorKey.generate()
        let publicKey = key + ".pub"
        guard try FileSystem.createExclusive(key, contents: made.privateKeyPEM, mode: 0o600),
              try FileSystem.createExclusive(publicKey, contents: made.publicKeyPEM, mode: 0o600),
              spawn(tool, ["-q", "operator", "add", "bench-operator", "--public-key", publicKey], env: env).status == 0 else {
            throw GovernanceError.internalError("registering the bench's operator failed")
        }
    }
    guard spawn(tool, ["-q", "policy", "apply", "-f", file, "--operator-key", key], env: env).status == 0 else {
        throw GovernanceError.internalError("policy apply failed")
    }
}

// MARK: 6. governance exec

/// `governance exec -- true` (checks, tool.call, the child, tool.result, post-conditions) beside
/// its floor: a shell running two one-row durable `sqlite3` INSERTs into the same database file
/// and `true` between them (an audited step needs two durable writes around the command),
/// interleaved run by run, embedded store.
@MainActor func benchExec() throws {
    let (_, url) = try sqliteStore("exec")
    let env = baseEnv(url)
    let policy = "\(workDir)/exec-policy.yaml"
    _ = try FileSystem.createExclusive(policy, contents: "agents:\n  bench-exec:\n    scope: {allowed_tools: [step]}\n", mode: 0o600)
    try applyPolicy(policy, env: env)
    let session = try SessionID.random().value
    let args = ["-q", "exec", "-a", "bench-exec", "-s", session, "-t", "step", "--", "true"]
    _ = spawn(binary, args, env: env)
    // The floor: an audited step needs two durable writes around the command, so a shell running
    // two one-row sqlite3 INSERTs and `true` on the same file.
    let path = String(url.dropFirst("sqlite:".count))
    _ = spawn("sqlite3", [path, "CREATE TABLE IF NOT EXISTS floor_rows (session_id TEXT, seq INTEGER, metadata TEXT)"], env: env)
    let insert = "INSERT INTO floor_rows VALUES ('\(session)', 1, '{}')"
    let floor = ["-c", "sqlite3 \"$0\" \"$1\" && true && sqlite3 \"$0\" \"$1\"", path, insert]
    let (ours, theirs) = try interleavedMedians("exec") { _ in (spawn(binary, args, env: env), spawn("/bin/sh", floor, env: env)) }
    rows.append(Row(name: "`governance exec -- true` (median ms)", figure: milliseconds(ours),
                    baseline: milliseconds(theirs) + " (sh: sqlite3 INSERT, true, sqlite3 INSERT)",
                    ratio: ours / theirs, target: "no slower than the floor", met: ours <= theirs))
}

// MARK: 7. start-up, in instructions

/// The instructions (callgrind) of one `scope check`, `cost check` and `audit log` process, each
/// beside the same command of `--previous BINARY` (make bench PREVIOUS=PATH), each binary on a
/// store it set up itself. Instructions, not seconds: a busy machine does not move them.
@MainActor func benchStartup() throws {
    guard let valgrind = ["/usr/bin/valgrind", "/usr/local/bin/valgrind"].first(where: { FileSystem.exists($0) }) else {
        say("startup: skipped, valgrind is not installed (apt-get install valgrind)")
        return
    }
    if previousBinary == nil { say("startup: no --previous binary (make bench PREVIOUS=PATH); counting this one alone") }
    let session = try SessionID.random().value
    let commands: [(String, [String])] = [
        ("`scope check -s S`", ["-q", "scope", "check", "-a", "bench", "-t", "read_invoice", "-s", session]),
        ("`scope check` (the agent's own chain)", ["-q", "scope", "check", "-a", "bench", "-t", "read_invoice"]),
        ("`cost check -s S`", ["-q", "cost", "check", "-a", "bench", "-s", session]),
        ("`audit log -s S`", ["-q", "audit", "log", "-a", "bench", "-k", "step", "-s", session]),
    ]
    func counts(_ program: String, _ tag: String) throws -> [Int] {
        let (_, url) = try sqliteStore("startup-\(tag)")
        let env = baseEnv(url)
        let policy = "\(workDir)/startup-policy.yaml"
        if !FileSystem.exists(policy) {
            _ = try FileSystem.createExclusive(policy, contents: """
                agents:
                  bench:
                    scope: {allowed_tools: [read_invoice]}
                    budget: {per_session_usd: 100.00}
                """, mode: 0o600)
        }
        // A binary from before operator signatures applies the policy unsigned.
        if (try? applyPolicy(policy, env: env, using: program)) == nil,
           spawn(program, ["-q", "policy", "apply", "-f", policy], env: env).status != 0 {
            throw GovernanceError.internalError("startup: \(program) could not apply the policy")
        }
        let path = String(url.dropFirst("sqlite:".count))
        return try commands.map { name, args in
            _ = spawn(program, args, env: env)  // warm: the page cache
            // Both binaries read the same file state: the pages in the database file. (This
            // binary leaves a command's writes in the WAL; reading through it is counted apart.)
            _ = spawn("sqlite3", [path, "PRAGMA wal_checkpoint(TRUNCATE)"], env: env)
            let out = "\(workDir)/callgrind-\(tag).out"
            let run = spawn(valgrind, ["--tool=callgrind", "--callgrind-out-file=" + out, program] + args, env: env)
            guard run.status == 0, let text = try? FileSystem.readText(out),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") || $0.hasPrefix("totals:") }),
                  let count = Int(line.split(separator: " ").last ?? "") else {
                throw GovernanceError.internalError("startup: callgrind of \(name) failed (\(run.status))")
            }
            unlink(out)
            return count
        }
    }
    let ours = try counts(binary, "this")
    let theirs = try previousBinary.map { try counts($0, "previous") }
    for (i, (name, _)) in commands.enumerated() {
        let ratio = theirs.map { Double(ours[i]) / Double($0[i]) }
        rows.append(Row(name: "\(name), instructions", figure: grouped(ours[i]),
                        baseline: theirs.map { grouped($0[i]) + " (previous binary)" } ?? "(no --previous)",
                        ratio: ratio, target: theirs == nil ? "(no target without --previous)" : "<= the previous binary (+1%: a new command grows the table)",
                        met: ratio.map { $0 <= 1.01 }))
    }
    // The price of leaving the WAL unchecked at close: the same check reading the policy and
    // schema through the WAL that the policy's apply left (no target; the fsyncs it saves are in
    // the one-process and exec rows).
    let (_, walURL) = try sqliteStore("startup-wal")
    let walEnv = baseEnv(walURL)
    try applyPolicy("\(workDir)/startup-policy.yaml", env: walEnv, using: binary)
    let walArgs = commands[0].1
    _ = spawn(binary, walArgs, env: walEnv)
    let walOut = "\(workDir)/callgrind-wal.out"
    if spawn(valgrind, ["--tool=callgrind", "--callgrind-out-file=" + walOut, binary] + walArgs, env: walEnv).status == 0,
       let text = try? FileSystem.readText(walOut),
       let line = text.split(separator: "\n").first(where: { $0.hasPrefix("summary:") || $0.hasPrefix("totals:") }),
       let count = Int(line.split(separator: " ").last ?? "") {
        rows.append(Row(name: "  `scope check -s S` through the WAL the apply left, instructions", figure: grouped(count),
                        baseline: grouped(ours[0]) + " (checkpointed)", ratio: Double(count) / Double(ours[0]),
                        target: "(the price of no checkpoint at close; no target)", met: nil))
    }
    unlink(walOut)
}

// MARK: 8. mcp proxy

/// A process whose stdin and stdout are this program's pipes: an MCP client's view of it.
final class PipedProcess {
    let pid: pid_t
    let input: Int32
    private var reader: LineReader

    init(_ argv: [String], env: [String: String]) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw GovernanceError.internalError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        let args = argv.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in args + envp { free(p) } }
        var child: pid_t = 0
        guard posix_spawnp(&child, argv[0], &actions, nil, args, envp) == 0 else { throw GovernanceError.internalError("cannot start \(argv[0])") }
        close(toChild[0])
        close(fromChild[1])
        pid = child
        input = toChild[1]
        let output = fromChild[0]
        reader = LineReader(maxLineBytes: MCPMessage.maxBytes) { try FileSystem.readChunk(fd: output, what: "bench pipe") }
    }

    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(input, $0.baseAddress! + written, bytes.count - written) }
            if n <= 0 { return }
            written += n
        }
    }

    /// The id of the next response (nil at the end).
    func nextID() throws -> String? {
        while let line = try reader.nextLine() {
            guard case .line(let bytes) = line else { continue }
            if case .success(.response(let id, _, _)) = MCPMessage.classify(bytes) { return MCPMessage.key(id) }
        }
        return nil
    }

    func finish() -> Int32 {
        close(input)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return status
    }
}

/// Per-call latencies (seconds, sorted) of `calls` tools/call, `inFlight` at a time.
@MainActor func mcpLatencies(_ argv: [String], env: [String: String], calls: Int, inFlight: Int) throws -> [Double] {
    let process = try PipedProcess(argv, env: env)
    process.send(#"{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#)
    _ = try process.nextID()
    process.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    var latencies: [Double] = []
    var next = 0
    while next < calls {
        var sent: [String: Double] = [:]
        for id in next..<min(next + inFlight, calls) {
            sent[String(id)] = now()
            process.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"echo","arguments":{"n":\#(id)}}}"#)
        }
        for _ in 0..<sent.count {
            guard let id = try process.nextID(), let started = sent[id] else { throw GovernanceError.internalError("mcp bench: the session ended early") }
            latencies.append(now() - started)
        }
        next += inFlight
    }
    guard process.finish() == 0 else { throw GovernanceError.internalError("mcp bench: the server or proxy failed") }
    return latencies.sorted()
}

@MainActor func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

@MainActor func benchMCP() throws {
    let calls = quick ? 300 : 2_000
    let (store, url) = try sqliteStore("mcp")
    let env = baseEnv(url)
    let policy = "\(workDir)/mcp-policy.yaml"
    _ = try FileSystem.createExclusive(policy, contents: "agents:\n  bench-mcp:\n    scope: {allowed_tools: [echo]}\n", mode: 0o600)
    try applyPolicy(policy, env: env)
    let server = [CommandLine.arguments[0], "--mcp-echo-server"]
    let session = try SessionID.random()
    let proxy = [binary, "mcp", "proxy", "--agent", "bench-mcp", "--session", session.value, "--"] + server

    // The writes each proxied call makes, as the proxy makes them: tool.call, then tool.result,
    // each appended durably in its own transaction.
    let recorder = AuditRecorder(spool: AuditSpool(home: workDir, configuration: try Configuration.resolve(environment: { env[$0] })),
                                 keys: keys, requireDurable: true, openStore: { store })
    let writesSession = try SessionID.random()
    var pairs = 0
    func writes(_ count: Int) throws -> [Double] {
        var times: [Double] = []
        for _ in 0..<count {
            let i = pairs
            pairs += 1
            let started = now()
            let call = try PendingEvent(validating: MCPEvents.call(agentID: "bench-mcp", sessionID: writesSession, tool: "echo", callID: "c\(i)",
                                                                   argumentsHash: Digest.sha256Hex("\(i)"), requestID: .number(Double(i))))
            _ = try recorder.record([call], returningIDs: true)
            let result = try PendingEvent(validating: MCPEvents.result(agentID: "bench-mcp", sessionID: writesSession, tool: "echo", callID: "c\(i)",
                                                                       callSeq: Int64(i * 2 + 1), requestID: .number(Double(i)), ending: .result,
                                                                       isError: false, resultHash: Digest.sha256Hex("r\(i)"), durationMicroseconds: 1))
            _ = try recorder.record([result])
            times.append(now() - started)
        }
        return times
    }

    for inFlight in [1, 16] {
        // The three are measured in turns, a block of each per round, so that a disk whose fsync
        // time drifts during the run weighs on the writes and the proxied calls alike.
        let rounds = quick ? 3 : 5
        let perRound = calls / rounds
        var direct: [Double] = [], proxied: [Double] = [], appends: [Double] = []
        for _ in 0..<rounds {
            appends += try writes(perRound)
            direct += try mcpLatencies(server, env: env, calls: perRound, inFlight: inFlight)
            proxied += try mcpLatencies(proxy, env: env, calls: perRound, inFlight: inFlight)
        }
        direct.sort()
        proxied.sort()
        appends.sort()
        for (label, p) in [("p50", 0.5), ("p99", 0.99)] {
            let added = percentile(proxied, p) - percentile(direct, p)
            // With calls in flight the proxy writes their events one after another, so a call
            // waits for the writes of the calls before it: the floor is that many writes.
            let floor = percentile(appends, p) * Double(inFlight)
            rows.append(Row(name: "mcp proxy: added per tools/call, \(inFlight) in flight, \(label) (ms)", figure: milliseconds(added),
                            baseline: milliseconds(floor) + (inFlight == 1 ? " (2 audit appends)" : " (\(inFlight) x 2 appends)"),
                            ratio: added / floor, target: "<= 130% of the writes", met: added <= floor * 1.3))
        }
    }
}

// MARK: run

do {
    say("governance-bench: work folder \(workDir)\(quick ? " (quick)" : "")")
    if postgresBase == nil { say("PostgreSQL skipped: GOVERNANCE_TEST_POSTGRES_URL is not set") }
    if only.contains("batch") {
        try benchBatch("SQLite", sqliteStore)
        if postgresBase != nil { try benchBatch("PostgreSQL", postgresStore) }
    }
    if only.contains("batch-memory") { try benchBatchMemory() }
    if only.contains("verify") {
        try benchVerify("SQLite", sqliteStore)
        if postgresBase != nil { try benchVerify("PostgreSQL", postgresStore) }
    }
    if only.contains("one-process") { try benchOneProcess() }
    if only.contains("enforcement") { try benchEnforcement() }
    if only.contains("compliance") { try benchComplianceReport() }
    if only.contains("exec") { try benchExec() }
    if only.contains("startup") { try benchStartup() }
    if only.contains("mcp") { try benchMCP() }
} catch {
    say("governance-bench: \(error)")
    removeWorkDir()
    exit(1)
}
removeWorkDir()

@MainActor func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
let widths = [max(46, rows.map(\.name.count).max() ?? 0), 16, 26, 8]
print(pad("benchmark", widths[0]) + "  " + pad("figure", widths[1]) + "  " + pad("baseline (same run)", widths[2]) + "  " + pad("ratio", widths[3]) + "  target")
for r in rows {
    let ratio = r.ratio.map { String(Int(($0 * 100).rounded())) + "%" } ?? ""
    let verdict = r.met.map { $0 ? "  met" : "  MISSED" } ?? ""
    print(pad(r.name, widths[0]) + "  " + pad(r.figure, widths[1]) + "  " + pad(r.baseline, widths[2]) + "  " + pad(ratio, widths[3]) + "  " + r.target + verdict)
}
let missed = rows.contains { $0.met == false }
exit(missed ? 3 : 0)

/// A size for a message: `65536` is `64 KiB`, `1048576` is `1 MiB`, `1000` is `1,000 bytes`
/// (whole units only, so a limit is never shown rounded, as `0 MiB`).
public func byteSize(_ n: Int) -> String {
    if n >= 1 << 20, n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
    if n >= 1 << 10, n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
    return "\(grouped(n)) byte\(n == 1 ? "" : "s")"
}

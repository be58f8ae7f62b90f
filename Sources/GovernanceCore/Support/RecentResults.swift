import Synchronization

/// The results of a pure function for a few recent inputs: a process re-reads only a handful of
/// distinct policies and signatures, so a short list, emptied when full, is enough. Only what
/// the function would compute again identically is kept; nothing here decides anything.
/// A list searched by `==`, not a hash table: a `Dictionary` of a new key type costs a one-shot
/// command ~250,000 instructions of runtime type lookup on its first insert, more than it saves.
struct RecentResults<Key: Equatable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private var entries: [(key: Key, value: Value)] = []

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: Key) -> Value? {
        entries.last { $0.key == key }?.value
    }

    mutating func remember(_ value: Value, for key: Key) {
        if let at = entries.firstIndex(where: { $0.key == key }) {
            entries[at].value = value
            return
        }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries.append((key, value))
    }
}

/// Whether this process keeps `RecentResults` at all. A one-shot command reads each policy and
/// signature once, and would pay for the memory's first use (its types' runtime metadata) with
/// nothing to gain; a long-running program that re-reads them on every call (the MCP proxy)
/// turns it on.
enum RememberedReads {
    private static let on = Atomic<Bool>(false)

    static var enabled: Bool { on.load(ordering: .relaxed) }

    static func enable() { on.store(true, ordering: .relaxed) }
}

/// The results of a pure function for a few recent inputs: a process re-reads only a handful of
/// distinct policies and signatures, so a small map, emptied when full, is enough. Only what
/// the function would compute again identically is kept; nothing here decides anything.
struct RecentResults<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private var entries: [Key: Value] = [:]

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: Key) -> Value? { entries[key] }

    mutating func remember(_ value: Value, for key: Key) {
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = value
    }
}

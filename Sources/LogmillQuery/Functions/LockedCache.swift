import Foundation

/// A small thread-safe memo keyed by string (compiled regexes, date patterns, time zones). Failed
/// builds are remembered too. When full it is simply emptied.
final class LockedCache<V>: @unchecked Sendable {
    private var entries: [String: V?] = [:]
    private let lock = NSLock()
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func get(_ key: String, make: (String) -> V?) -> V? {
        lock.lock()
        if let hit = entries[key] { lock.unlock(); return hit }
        lock.unlock()
        let made = make(key)
        lock.lock()
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = .some(made)
        lock.unlock()
        return made
    }
}

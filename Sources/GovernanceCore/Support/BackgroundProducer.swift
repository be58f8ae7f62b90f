import Glibc

/// Runs a producer on its own thread and hands its items to the caller through a small bounded
/// queue, so that reading and parsing input overlaps with writing to the store (`audit log
/// --batch` on two cores). The producer stops early when the consumer stops taking.
public final class BackgroundProducer<Item>: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var items: [Item] = []
    /// Items the consumer is done with, destroyed on the producer's thread (`giveBack`).
    private var returned: [Item] = []
    private let capacity: Int
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var started = false
    private var produce: ((Item) -> Bool) throws -> Void

    /// `produce` is called on a background thread with a `send` function; `send` returns false
    /// once the consumer has gone, and the producer should then return.
    public init(capacity: Int = 2, _ produce: @escaping ((Item) -> Bool) throws -> Void) {
        self.capacity = max(1, capacity)
        self.produce = produce
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        changed.deallocate()
    }

    private func start() {
        guard !started else { return }
        started = true
        if !spawnThread({ self.runProducer() }) {
            // No second thread: run the producer inline, holding everything it makes.
            runProducer(unbounded: true)
        }
    }

    private func runProducer(unbounded: Bool = false) {
        do {
            try produce { item in
                // Destroyed when this closure returns, after the lock is let go.
                var used: [Item] = []
                pthread_mutex_lock(lock)
                defer { pthread_mutex_unlock(lock) }
                while !unbounded && items.count >= capacity && !cancelled { pthread_cond_wait(changed, lock) }
                guard !cancelled else { return false }
                items.append(item)
                swap(&used, &returned)
                pthread_cond_broadcast(changed)
                return true
            }
            finish(nil)
        } catch {
            finish(error)
        }
    }

    private func finish(_ error: (any Error)?) {
        pthread_mutex_lock(lock)
        finished = true
        failure = error
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }

    /// The next item in order; nil when the producer has finished. A producer's error is thrown
    /// after the items it sent before it.
    public func next() throws -> Item? {
        start()
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while items.isEmpty && !finished { pthread_cond_wait(changed, lock) }
        if !items.isEmpty {
            let item = items.removeFirst()
            pthread_cond_broadcast(changed)
            return item
        }
        if let failure { throw failure }
        return nil
    }

    /// Hands back an item the consumer is done with, to be destroyed on the producer's thread.
    /// Freeing what the producer allocated costs as much as allocating it, and the consumer is
    /// the thread that sets the pace (`audit log --batch`: the appending thread).
    public func giveBack(_ item: Item) {
        pthread_mutex_lock(lock)
        if !finished && !cancelled { returned.append(item) }
        pthread_mutex_unlock(lock)
    }

    /// Stops taking items: the producer's next `send` returns false. The thread is not waited
    /// for, since it may be blocked reading a pipe that never ends; it holds what it uses.
    public func cancel() {
        var used: [Item] = []  // freed here, after the lock is let go
        pthread_mutex_lock(lock)
        cancelled = true
        swap(&used, &returned)
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }
}

/// The body of a thread (non-generic, so that the C entry point captures nothing).
private final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts `body` on a new, detached POSIX thread; false when none can be made.
func spawnThread(_ body: @escaping () -> Void) -> Bool {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        return false
    }
    pthread_detach(thread)
    return true
}

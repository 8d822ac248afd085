import Foundation

/// Produces the items of a sequence on a background thread, at most `capacity` ahead of the consumer.
///
/// Item `k` is `produce(k)` for k = 0, 1, 2, … (up to `count`, or endlessly), delivered strictly in
/// order. Because each item is a pure function of its position, results never depend on timing —
/// only the wall-clock time does: while the trainer computes step k on one core, batch k + 1 is
/// assembled on the other. Production stops when the prefetcher is released or `stop()` is called.
public final class Prefetcher<Element>: @unchecked Sendable {
    /// The state shared with the producer thread (which must not keep the prefetcher itself alive).
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        var queue: [Result<Element, Error>] = []
        var stopped = false
        var finished = false
    }

    private let state = State()

    /// Starts producing. `count` nil means an endless sequence.
    public init(count: Int? = nil, capacity: Int = 2, produce: @escaping @Sendable (Int) throws -> Element) {
        precondition(capacity >= 1, "Prefetcher capacity must be ≥ 1")
        let state = self.state
        let thread = Thread {
            var position = 0
            while true {
                state.condition.lock()
                while state.queue.count >= capacity && !state.stopped { state.condition.wait() }
                if state.stopped || (count.map { position >= $0 } ?? false) {
                    state.finished = true
                    state.condition.broadcast()
                    state.condition.unlock()
                    return
                }
                state.condition.unlock()
                let result = Result { try produce(position) }
                state.condition.lock()
                if !state.stopped { state.queue.append(result) }
                state.condition.broadcast()
                state.condition.unlock()
                position += 1
            }
        }
        thread.name = "tandem.prefetch"
        thread.start()
    }

    deinit { stop() }

    /// The next item in order (blocking until it is ready), nil after the last one or after `stop()`.
    /// Rethrows the error of an item whose production failed.
    public func next() throws -> Element? {
        state.condition.lock()
        defer { state.condition.unlock() }
        while state.queue.isEmpty && !state.finished && !state.stopped { state.condition.wait() }
        guard !state.queue.isEmpty else { return nil }
        let result = state.queue.removeFirst()
        state.condition.broadcast()
        return try result.get()
    }

    /// Stops production; items already queued are dropped.
    public func stop() {
        state.condition.lock()
        state.stopped = true
        state.queue.removeAll()
        state.condition.broadcast()
        state.condition.unlock()
    }
}

import ConcurrencyPrimitives

/// A countdown latch for threads: ordering without sleeps.
///
/// Threads call ``arrive()``; ``wait(timeout:)`` returns once the count has
/// reached zero. Checks use it wherever the order of events is the point.
public final class Latch: Sendable {
    private let remaining: ConditionLock<Int>

    /// Creates a latch that opens after `count` arrivals.
    public init(count: Int) {
        remaining = ConditionLock(count)
    }

    /// Counts one arrival.
    public func arrive() {
        let opened = remaining.withLock { count in
            count = max(count - 1, 0)
            return count == 0
        }
        if opened { remaining.broadcast() }
    }

    /// Blocks until the latch opens or `timeout` passes.
    /// - Returns: Whether the latch opened.
    @discardableResult
    public func wait(timeout: Duration?) -> Bool {
        remaining.wait(until: { $0 == 0 }, deadline: timeout.map(MonotonicInstant.after)) { _, opened in opened }
    }

    /// Whether the latch has opened.
    public var isOpen: Bool { remaining.withLock { $0 == 0 } }
}

/// A value guarded by a lock that ThreadSanitizer can see; for logs that
/// callbacks on other threads append to.
public final class Locked<Value: Sendable>: Sendable {
    private let lock: ConditionLock<Value>

    /// Creates the guarded value.
    public init(_ value: Value) { lock = ConditionLock(value) }

    /// Runs `body` with exclusive access.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock(body)
    }

    /// A copy of the value.
    public var value: Value { lock.withLock { $0 } }
}

import ConcurrencyPrimitives
import Dispatch

// `wait` and `asCompleted` are inlinable, with everything they touch: run
// unspecialized, each step over `[any ConcurrentFuture<Value>]` looks up that
// existential's metadata at run time, which costs microseconds per future;
// specialized at the call site, it is a few loads.

/// Removes repeated futures, keeping the first occurrence of each.
@inlinable
func distinct<Value>(_ futures: [any ConcurrentFuture<Value>]) -> [any ConcurrentFuture<Value>] {
    var seen = IdentitySet(capacity: futures.count)
    // Repeats are rare: only build a new array when there is one.
    guard let firstRepeat = futures.firstIndex(where: { !seen.insert($0) }) else { return futures }
    var unique = Array(futures[..<firstRepeat])
    for future in futures[(firstRepeat + 1)...] where seen.insert(future) {
        unique.append(future)
    }
    return unique
}

/// Whether a done future finished with an error (cancelled futures did not).
@inlinable
func failed<Value>(_ future: any ConcurrentFuture<Value>) -> Bool {
    guard future.state == .finished else { return false }
    return (try? future.exception(timeout: .zero)).flatMap { $0 } != nil
}

/// Blocks until the futures satisfy `returnWhen` or `timeout` passes, and
/// partitions them into done and not done.
///
/// Python: `concurrent.futures.wait(fs, timeout=None, return_when=ALL_COMPLETED)`.
/// `wait` only observes: it neither starts nor cancels anything, and the
/// futures left in `notDone` keep running. Repeated futures count once. A
/// cancelled future counts as done as soon as ``ConcurrentFuture/cancel()``
/// has returned `true`, as the Python documentation says (CPython itself waits
/// for the executor to acknowledge the cancellation; see WAIT-009).
/// - Parameters:
///   - futures: The futures, from any executors.
///   - timeout: How long to wait at most; `nil` waits without limit. A
///     timeout is not an error: the partition is returned as it stands.
///   - returnWhen: When to return.
/// - Returns: The done and the not-done futures, each in input order.
@inlinable
public func wait<Value>(
    _ futures: [any ConcurrentFuture<Value>],
    timeout: Duration? = nil,
    returnWhen: ReturnWhen = .allCompleted
) -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>]) {
    let futures = distinct(futures)
    func partition() -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>]) {
        var done: [any ConcurrentFuture<Value>] = []
        var notDone: [any ConcurrentFuture<Value>] = []
        done.reserveCapacity(futures.count)
        for future in futures {
            if future.isDone { done.append(future) } else { notDone.append(future) }
        }
        return (done, notDone)
    }
    func satisfied(_ split: (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>])) -> Bool {
        switch returnWhen {
        case .allCompleted: split.notDone.isEmpty
        case .firstCompleted: !split.done.isEmpty || split.notDone.isEmpty
        case .firstException: split.notDone.isEmpty || split.done.contains(where: failed)
        }
    }

    let split = partition()
    if satisfied(split) { return split }

    // Each completion appends its index; this thread examines only the new
    // ones, so waiting on n futures costs O(n) in all rather than O(n) per
    // completion. The futures themselves are read here, never inside their
    // callbacks, so an implementation that runs callbacks under its own
    // lock cannot deadlock against this wait.
    let pending = split.notDone
    let completions = ConditionLock([Int]())
    for (index, future) in pending.enumerated() {
        future.addDoneCallback { _ in
            completions.withLock { $0.append(index) }
            completions.broadcast()
        }
    }
    let deadline = timeout.map(MonotonicInstant.after)
    var examined = 0
    while true {
        let finished = completions.wait(until: { $0.count > examined }, deadline: deadline) { indices, _ in
            indices[examined...]
        }
        if finished.isEmpty { return partition() }
        examined += finished.count
        let done = switch returnWhen {
        case .allCompleted: examined == pending.count
        case .firstCompleted: true
        case .firstException: examined == pending.count || finished.contains { failed(pending[$0]) }
        }
        if done { return partition() }
    }
}

/// Futures handed out one by one as they complete: what `asCompleted`
/// returns, as a protocol so that other implementations can be checked.
public protocol CompletionIterator<Value>: AnyObject {
    /// The result type of the futures.
    associatedtype Value
    /// Blocks for the next completed future; `nil` once every future has
    /// been handed out.
    /// - Throws: ``ConcurrencyError/timeout(unfinished:)`` once the deadline
    ///   has passed with futures still unfinished.
    func next() throws -> (any ConcurrentFuture<Value>)?
}

/// Yields futures as they complete, in completion order.
///
/// Python: `concurrent.futures.as_completed(fs, timeout=None)`. Futures
/// already done are yielded first, in input order; a repeated future is
/// yielded once; every yielded future is done. Read it blocking with
/// ``next()`` or asynchronously with `for try await`.
///
/// With a timeout, measured from the `asCompleted` call, reading throws
/// ``ConcurrencyError/timeout(unfinished:)`` naming how many futures were
/// still unfinished once the deadline has passed, after yielding those that
/// completed in time.
public final class AsCompleted<Value>: CompletionIterator, AsyncSequence, @unchecked Sendable {
    // @unchecked Sendable is safe: the only mutable state is `state`, a
    // ConditionLock; everything else is immutable after init.
    public typealias Element = any ConcurrentFuture<Value>
    public typealias Failure = any Error

    @usableFromInline
    struct State {
        @usableFromInline var completed: [any ConcurrentFuture<Value>] = []
        @usableFromInline var yielded = 0
        /// Boxed: `CheckedContinuation` is resilient, and a resilient field
        /// would make every copy of the state a run-time metadata walk.
        @usableFromInline var waiter: Waiter?
        @inlinable init() {}
    }

    /// The task parked in ``nextAsync()``.
    @usableFromInline
    final class Waiter {
        @usableFromInline let continuation: CheckedContinuation<(any ConcurrentFuture<Value>)?, any Error>
        @usableFromInline init(_ continuation: CheckedContinuation<(any ConcurrentFuture<Value>)?, any Error>) {
            self.continuation = continuation
        }
    }

    private enum Decision {
        case deliver((any ConcurrentFuture<Value>)?)
        case parked
        case fail(ConcurrencyError)
    }

    @usableFromInline let total: Int
    @usableFromInline let deadline: MonotonicInstant?
    @usableFromInline let state: ConditionLock<State>

    /// Starts watching `futures`; prefer the function ``asCompleted(_:timeout:)``.
    @inlinable
    public init(_ futures: [any ConcurrentFuture<Value>], timeout: Duration?) {
        let futures = distinct(futures)
        total = futures.count
        deadline = timeout.map(MonotonicInstant.after)
        state = ConditionLock(State())
        var pending: [any ConcurrentFuture<Value>] = []
        state.withLock { state in
            state.completed.reserveCapacity(futures.count)
            for future in futures {
                if future.isDone { state.completed.append(future) } else { pending.append(future) }
            }
        }
        for future in pending {
            future.addDoneCallback { [state] done in
                let waiter = state.withLock { state -> Waiter? in
                    state.completed.append(done)
                    guard let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    state.yielded += 1
                    return waiter
                }
                state.broadcast()
                // Resumed with the future just appended: it is the next one,
                // because a waiter exists only while the queue is drained.
                waiter?.continuation.resume(returning: done)
            }
        }
    }

    /// Blocks for the next completed future.
    /// - Returns: The future, or `nil` once every future has been yielded.
    /// - Throws: ``ConcurrencyError/timeout(unfinished:)`` once the deadline
    ///   has passed with futures still unfinished.
    @inlinable
    public func next() throws -> (any ConcurrentFuture<Value>)? {
        let total = self.total
        return try state.wait(
            until: { $0.yielded == total || $0.completed.count > $0.yielded },
            deadline: deadline
        ) { state, ready in
            if state.yielded == total { return nil }
            guard ready else { throw ConcurrencyError.timeout(unfinished: total - state.completed.count) }
            state.yielded += 1
            return state.completed[state.yielded - 1]
        }
    }

    /// Reads every remaining future, blocking.
    @inlinable
    public func collect() throws -> [any ConcurrentFuture<Value>] {
        var all: [any ConcurrentFuture<Value>] = []
        while let future = try next() { all.append(future) }
        return all
    }

    /// Waits for the next completed future without blocking a thread.
    public func nextAsync() async throws -> (any ConcurrentFuture<Value>)? {
        try await withCheckedThrowingContinuation { continuation in
            let total = self.total
            let decision: Decision = state.withLock { state in
                if state.yielded == total { return .deliver(nil) }
                if state.completed.count > state.yielded {
                    state.yielded += 1
                    return .deliver(state.completed[state.yielded - 1])
                }
                if let deadline, MonotonicInstant.now >= deadline {
                    return .fail(.timeout(unfinished: total - state.completed.count))
                }
                state.waiter = Waiter(continuation)
                return .parked
            }
            switch decision {
            case .deliver(let future): continuation.resume(returning: future)
            case .fail(let error): continuation.resume(throwing: error)
            case .parked:
                guard let deadline else { return }
                let delay = Swift.max(deadline - MonotonicInstant.now, .zero)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(delay.saturatingNanoseconds))) { [state] in
                    let waiter = state.withLock { state -> (Waiter, Int)? in
                        guard let waiter = state.waiter else { return nil }
                        state.waiter = nil
                        return (waiter, total - state.completed.count)
                    }
                    if let (waiter, unfinished) = waiter {
                        waiter.continuation.resume(throwing: ConcurrencyError.timeout(unfinished: unfinished))
                    }
                }
            }
        }
    }

    /// The async iterator: `for try await future in asCompleted(futures)`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: AsCompleted<Value>
        public mutating func next() async throws -> (any ConcurrentFuture<Value>)? {
            try await source.nextAsync()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
}

/// Yields `futures` in completion order. Python: `as_completed(fs, timeout)`.
/// See ``AsCompleted``.
@inlinable
public func asCompleted<Value>(
    _ futures: [any ConcurrentFuture<Value>],
    timeout: Duration? = nil
) -> AsCompleted<Value> {
    AsCompleted(futures, timeout: timeout)
}

import ConcurrencyPrimitives
import Synchronization

// The default implementations of the asyncio module functions, written only
// against the loop and future requirements, the way CPython writes them in
// tasks.py. Their bookkeeping runs in done callbacks, which the loop runs on
// its own thread one at a time; the locks only satisfy Sendable and are never
// contended.

/// The futures of an ``EventLoop/asCompleted(_:timeout:)`` call, in the order
/// they complete. Every future it yields is already done.
public struct LoopCompletions<Value: Sendable>: AsyncSequence, Sendable {
    public typealias Element = any LoopFuture<Value>
    public typealias Failure = any Error

    private let nextFuture: @Sendable () async throws -> (any LoopFuture<Value>)?

    /// Creates the sequence from the function that awaits the next completed
    /// future, returning `nil` once all were yielded.
    public init(next: @escaping @Sendable () async throws -> (any LoopFuture<Value>)?) {
        nextFuture = next
    }

    /// Iterates over the completions.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let nextFuture: @Sendable () async throws -> (any LoopFuture<Value>)?

        public mutating func next() async throws -> (any LoopFuture<Value>)? {
            try await nextFuture()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextFuture: nextFuture) }
}

/// Removes repeated loop futures, keeping the first occurrence of each.
func distinctLoopFutures<Value>(_ futures: [any LoopFuture<Value>]) -> [any LoopFuture<Value>] {
    var seen = IdentitySet(capacity: futures.count)
    return futures.filter { seen.insert($0) }
}

/// Whether a done loop future finished with an error (not cancelled).
func loopFutureFailed(_ future: any AnyLoopFuture) -> Bool {
    future.state == .finished && ((try? future.exception()) ?? nil) != nil
}

/// The outcome of a done loop future.
func outcome<Value>(of future: any LoopFuture<Value>) -> Result<Value, any Error> {
    Result { try future.result() }
}

/// A callback key no other caller uses, so that a function can remove exactly
/// the callbacks it added.
func uniqueCallbackKey(_ purpose: String) -> DoneCallbackKey {
    let serial = callbackKeySerial.wrappingAdd(1, ordering: .relaxed).newValue
    return DoneCallbackKey(rawValue: "ConcurrencySpec.\(purpose).\(serial)")
}

private let callbackKeySerial = Atomic<UInt64>(0)

extension EventLoop {
    public func gather<Value: Sendable>(_ futures: [any LoopFuture<Value>]) -> any LoopFuture<[Value]> {
        let outer = createFuture(of: [Value].self)
        guard !futures.isEmpty else {
            try? outer.setResult([])
            return outer
        }
        let remaining = ConditionLock(futures.count)
        for child in futures {
            child.addDoneCallback { _ in
                guard !outer.isDone else { return }
                if case .failure(let error) = outcome(of: child) {
                    try? outer.setException(error)
                    return
                }
                let left = remaining.withLock { count -> Int in
                    count -= 1
                    return count
                }
                if left == 0 {
                    // Every child finished with a value, so none of these throws.
                    try? outer.setResult(futures.compactMap { try? $0.result() })
                }
            }
        }
        cancelChildren(futures, when: outer)
        return outer
    }

    public func gatherOutcomes<Value: Sendable>(
        _ futures: [any LoopFuture<Value>]
    ) -> any LoopFuture<[Result<Value, any Error>]> {
        let outer = createFuture(of: [Result<Value, any Error>].self)
        guard !futures.isEmpty else {
            try? outer.setResult([])
            return outer
        }
        let remaining = ConditionLock(futures.count)
        for child in futures {
            child.addDoneCallback { _ in
                let left = remaining.withLock { count -> Int in
                    count -= 1
                    return count
                }
                if left == 0, !outer.isDone {
                    try? outer.setResult(futures.map { outcome(of: $0) })
                }
            }
        }
        cancelChildren(futures, when: outer)
        return outer
    }

    /// Python's `_GatheringFuture.cancel`: cancelling the gather cancels every
    /// child not yet done.
    private func cancelChildren<Value, Outer>(_ futures: [any LoopFuture<Value>], when outer: any LoopFuture<Outer>) {
        outer.addDoneCallback { _ in
            guard outer.isCancelled else { return }
            for child in futures where !child.isDone { child.cancel() }
        }
    }

    public func wait<Value: Sendable>(
        _ futures: [any LoopFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) async throws -> (done: [any LoopFuture<Value>], pending: [any LoopFuture<Value>]) {
        guard !futures.isEmpty else {
            throw ConcurrencyError.invalidArgument("wait() needs at least one future")
        }
        let unique = distinctLoopFutures(futures)
        let waiter = createFuture(of: Void.self)
        let key = uniqueCallbackKey("wait")
        let remaining = ConditionLock(unique.count)
        for future in unique {
            future.addDoneCallback(key: key) { done in
                let left = remaining.withLock { count -> Int in
                    count -= 1
                    return count
                }
                let satisfied = switch returnWhen {
                case .firstCompleted: true
                case .firstException: left == 0 || loopFutureFailed(done)
                case .allCompleted: left == 0
                }
                if satisfied, !waiter.isDone { try? waiter.setResult(()) }
            }
        }
        let timer = try timeout.map { limit in
            try callLater(max(limit, .zero)) { if !waiter.isDone { try? waiter.setResult(()) } }
        }
        defer {
            timer?.cancel()
            for future in unique { future.removeDoneCallback(key: key) }
        }
        try await waiter.value
        return (unique.filter(\.isDone), unique.filter { !$0.isDone })
    }

    public func waitFor<Value: Sendable>(_ future: any LoopFuture<Value>, timeout: Duration?) async throws -> Value {
        guard let timeout else { return try await future.value }
        if future.isDone { return try future.result() }
        let waiter = createFuture(of: Void.self)
        let key = uniqueCallbackKey("waitFor")
        future.addDoneCallback(key: key) { _ in if !waiter.isDone { try? waiter.setResult(()) } }
        let timer = try callLater(max(timeout, .zero)) { if !waiter.isDone { try? waiter.setResult(()) } }
        do {
            try await waiter.value
        } catch {
            // The caller was cancelled: pass the cancellation on and wait for
            // the inner future to take it, as Python's wait_for does.
            timer.cancel()
            future.removeDoneCallback(key: key)
            try await cancelAndWait(future)
            throw error
        }
        timer.cancel()
        future.removeDoneCallback(key: key)
        if future.isDone { return try future.result() }
        try await cancelAndWait(future)
        // The inner future may have finished anyway while taking the
        // cancellation; then its outcome stands (CPython 3.11).
        if future.state == .finished { return try future.result() }
        throw ConcurrencyError.timeout(unfinished: nil)
    }

    /// Cancels `future` and waits, uncancellably, until it is done.
    private func cancelAndWait<Value>(_ future: any LoopFuture<Value>) async throws {
        future.cancel()
        while !future.isDone {
            // A fresh waiter each round: a second cancellation of the caller
            // cancels the waiter it is parked on, and must not abandon the
            // inner future half-cancelled.
            let done = createFuture(of: Void.self)
            future.addDoneCallback { _ in try? done.setResult(()) }
            _ = try? await done.value
        }
    }

    public func asCompleted<Value: Sendable>(
        _ futures: [any LoopFuture<Value>],
        timeout: Duration?
    ) -> LoopCompletions<Value> {
        let unique = distinctLoopFutures(futures)
        let state = ConditionLock(AsCompletedState<Value>(pending: unique.count))
        for future in unique {
            future.addDoneCallback { _ in
                let waiter = state.withLock { state -> (any LoopFuture<Void>)? in
                    state.completed.append(future)
                    return state.waiter.take()
                }
                if let waiter, !waiter.isDone { try? waiter.setResult(()) }
            }
        }
        let deadline = timeout.map { time + max($0, .zero) }
        return LoopCompletions { [self] in
            while true {
                let next = state.withLock { state -> NextCompletion<Value> in
                    if !state.completed.isEmpty {
                        state.pending -= 1
                        return .future(state.completed.removeFirst())
                    }
                    return state.pending == 0 ? .end : .wait(state.pending)
                }
                switch next {
                case .future(let future): return future
                case .end: return nil
                case .wait(let unfinished):
                    let waiter = createFuture(of: Void.self)
                    state.withLock { $0.waiter = waiter }
                    var timer: (any LoopHandle)?
                    if let deadline {
                        guard deadline > time else { throw ConcurrencyError.timeout(unfinished: unfinished) }
                        timer = try callAt(deadline) { if !waiter.isDone { try? waiter.setResult(()) } }
                    }
                    defer { timer?.cancel() }
                    try await waiter.value
                }
            }
        }
    }

    public func wrapFuture<Value: Sendable>(_ future: any ConcurrentFuture<Value>) -> any LoopFuture<Value> {
        let mirror = createFuture(of: Value.self)
        mirror.addDoneCallback { _ in
            if mirror.isCancelled { _ = future.cancel() }
        }
        future.addDoneCallback { source in
            let result = Result { try source.result(timeout: .zero) }
            let isCancelled = source.isCancelled
            _ = try? self.callSoonThreadsafe {
                guard !mirror.isDone else { return }
                if isCancelled {
                    mirror.cancel()
                } else {
                    switch result {
                    case .success(let value): try? mirror.setResult(value)
                    case .failure(let error): try? mirror.setException(error)
                    }
                }
            }
        }
        return mirror
    }
}

private struct AsCompletedState<Value: Sendable> {
    var pending: Int
    var completed: [any LoopFuture<Value>] = []
    var waiter: (any LoopFuture<Void>)?

    init(pending: Int) { self.pending = pending }
}

private enum NextCompletion<Value: Sendable> {
    case future(any LoopFuture<Value>)
    case wait(Int)
    case end
}

import ConcurrencyPrimitives
import ConcurrencySpec

/// The spec's default module functions (gather, wait, waitFor, asCompleted),
/// applied to a mutant loop.
///
/// ``MutantLoop`` overrides those requirements to switch its defects in, and
/// Swift offers no way for an override to call the protocol extension's
/// default it replaces. This view conforms to ``EventLoop`` by forwarding
/// every other requirement to the loop and does not implement those four, so
/// calling them on it runs the spec's own code against the mutant loop: the
/// defect-free path is the spec's, not a copy.
final class SpecDefaults: EventLoop {
    let base: MutantLoop

    init(base: MutantLoop) { self.base = base }

    var time: Duration { base.time }
    var clockResolution: Duration { base.clockResolution }
    var isRunning: Bool { base.isRunning }
    var isClosed: Bool { base.isClosed }

    @discardableResult
    func callSoon(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try base.callSoon(callback)
    }

    @discardableResult
    func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try base.callSoonThreadsafe(callback)
    }

    @discardableResult
    func callLater(_ delay: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try base.callLater(delay, callback)
    }

    @discardableResult
    func callAt(_ when: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try base.callAt(when, callback)
    }

    func setExceptionHandler(_ handler: (@Sendable (LoopExceptionContext) -> Void)?) {
        base.setExceptionHandler(handler)
    }

    func createFuture<Value: Sendable>(of type: Value.Type) -> any LoopFuture<Value> {
        base.createFuture(of: type)
    }

    func createTask<Value: Sendable>(
        name: String?,
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value> {
        try base.createTask(name: name, body)
    }

    var currentTask: (any AnyLoopTask)? { base.currentTask }
    var allTasks: [any AnyLoopTask] { base.allTasks }

    func runUntilComplete<Value: Sendable>(_ future: any LoopFuture<Value>) throws -> Value {
        try base.runUntilComplete(future)
    }

    func runForever() throws { try base.runForever() }
    func stop() { base.stop() }
    func close() throws { try base.close() }

    func runInExecutor<Value: Sendable>(
        _ executor: (any ConcurrentExecutor)?,
        _ job: @escaping @Sendable () throws -> Value
    ) throws -> any LoopFuture<Value> {
        try base.runInExecutor(executor, job)
    }

    func sleep(_ delay: Duration) async throws { try await base.sleep(delay) }

    func wrapFuture<Value: Sendable>(_ future: any ConcurrentFuture<Value>) -> any LoopFuture<Value> {
        base.wrapFuture(future)
    }
}

// The broken module functions. Each is the spec's algorithm with the one
// change its defect names, written out because the defect sits in the middle.
extension MutantLoop {
    func brokenGather<Value: Sendable>(_ futures: [any LoopFuture<Value>]) -> any LoopFuture<[Value]> {
        let outer = MutantLoopFuture<[Value]>(loop: self)
        guard !futures.isEmpty else {
            if defect != .gatherEmptyNeverDone { try? outer.setResult([]) }
            return outer
        }
        // gatherEmptyNeverDone: one callback per distinct future, but a
        // count of every occurrence, so a repeated future is never all done.
        let children = defect == .gatherEmptyNeverDone ? distinct(futures) : futures
        let tally = ConditionLock(GatherTally<Value>(remaining: futures.count))
        for child in children {
            child.addDoneCallback { [defect] _ in
                guard !outer.isDone else { return }
                if defect == .childCancelCancelsGather && child.isCancelled {
                    outer.cancel()
                    return
                }
                switch Result(catching: { try child.result() }) {
                case .failure(let error):
                    try? outer.setException(error)
                    if defect == .gatherCancelsSiblings {
                        for sibling in futures where !sibling.isDone { sibling.cancel() }
                    }
                case .success(let value):
                    let (left, inCompletionOrder) = tally.withLock { tally in
                        tally.remaining -= 1
                        tally.completed.append(value)
                        return (tally.remaining, tally.completed)
                    }
                    if left == 0 {
                        let values = defect == .gatherCompletionOrder
                            ? inCompletionOrder
                            : futures.compactMap { try? $0.result() }
                        try? outer.setResult(values)
                    }
                }
            }
        }
        if defect != .gatherCancelIgnoresChildren { cancelChildren(futures, when: outer) }
        return outer
    }

    func brokenGatherOutcomes<Value: Sendable>(
        _ futures: [any LoopFuture<Value>]
    ) -> any LoopFuture<[Result<Value, any Error>]> {
        let outer = MutantLoopFuture<[Result<Value, any Error>]>(loop: self)
        guard !futures.isEmpty else {
            if defect != .gatherEmptyNeverDone { try? outer.setResult([]) }
            return outer
        }
        let children = defect == .gatherEmptyNeverDone ? distinct(futures) : futures
        let remaining = ConditionLock(futures.count)
        for child in children {
            child.addDoneCallback { [defect] _ in
                guard !outer.isDone else { return }
                if defect == .childCancelCancelsGather && child.isCancelled {
                    outer.cancel()
                    return
                }
                if defect == .gatherOutcomesRaise, case .failure(let error) = Result(catching: { try child.result() }) {
                    try? outer.setException(error)
                    return
                }
                let left = remaining.withLock { count -> Int in
                    count -= 1
                    return count
                }
                if left == 0 {
                    try? outer.setResult(futures.map { future in Result { try future.result() } })
                }
            }
        }
        if defect != .gatherCancelIgnoresChildren { cancelChildren(futures, when: outer) }
        return outer
    }

    /// Cancelling the gather cancels every child not yet done.
    private func cancelChildren<Value, Outer>(_ futures: [any LoopFuture<Value>], when outer: any LoopFuture<Outer>) {
        outer.addDoneCallback { _ in
            guard outer.isCancelled else { return }
            for child in futures where !child.isDone { child.cancel() }
        }
    }

    func brokenWait<Value: Sendable>(
        _ futures: [any LoopFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) async throws -> (done: [any LoopFuture<Value>], pending: [any LoopFuture<Value>]) {
        if futures.isEmpty && defect == .loopWaitAcceptsEmpty { return ([], []) }
        let condition = defect == .loopWaitFirstCompletedWaitsAll && returnWhen == .firstCompleted
            ? ReturnWhen.allCompleted
            : returnWhen
        let (done, pending) = try await SpecDefaults(base: self).wait(futures, timeout: timeout, returnWhen: condition)
        if defect == .loopWaitCancelsPending {
            for future in pending { future.cancel() }
        }
        return (done, pending)
    }

    func brokenWaitFor<Value: Sendable>(_ future: any LoopFuture<Value>, timeout: Duration?) async throws -> Value {
        guard let timeout else { return try await future.value }
        if future.isDone && defect != .waitForWaitsFullTimeout { return try future.result() }
        let waiter = MutantLoopFuture<Void>(loop: self)
        let key = DoneCallbackKey(rawValue: "MutantLoop.waitFor.\(ObjectIdentifier(waiter))")
        if defect != .waitForWaitsFullTimeout {
            future.addDoneCallback(key: key) { _ in if !waiter.isDone { try? waiter.setResult(()) } }
        }
        let timer = try callLater(max(timeout, .zero)) { if !waiter.isDone { try? waiter.setResult(()) } }
        do {
            try await waiter.value
        } catch {
            timer.cancel()
            future.removeDoneCallback(key: key)
            try await cancelAndWait(future)
            throw error
        }
        timer.cancel()
        future.removeDoneCallback(key: key)
        if future.isDone { return try future.result() }
        switch defect {
        case .waitForLeavesInnerRunning?:
            break
        case .waitForNoCancelWait?:
            future.cancel()
        default:
            try await cancelAndWait(future)
            if future.state == .finished { return try future.result() }
        }
        throw ConcurrencyError.timeout(unfinished: nil)
    }

    /// Cancels `future` and waits, uncancellably, until it is done.
    private func cancelAndWait<Value>(_ future: any LoopFuture<Value>) async throws {
        let done = MutantLoopFuture<Void>(loop: self)
        future.addDoneCallback { _ in try? done.setResult(()) }
        future.cancel()
        while !done.isDone { _ = try? await done.value }
    }

    /// loopAsCompletedInputOrder: yields each future in input order, once it
    /// is done; the timeout still applies.
    func asCompletedInInputOrder<Value: Sendable>(
        _ futures: [any LoopFuture<Value>],
        timeout: Duration?
    ) -> LoopCompletions<Value> {
        let unique = distinct(futures)
        let next = ConditionLock(0)
        let deadline = timeout.map { time + max($0, .zero) }
        return LoopCompletions { [self] in
            let index = next.withLock { index -> Int in
                defer { index += 1 }
                return index
            }
            guard index < unique.count else { return nil }
            let future = unique[index]
            if !future.isDone {
                let waiter = MutantLoopFuture<Void>(loop: self)
                future.addDoneCallback { _ in if !waiter.isDone { try? waiter.setResult(()) } }
                var timer: (any LoopHandle)?
                if let deadline {
                    guard deadline > time else {
                        throw ConcurrencyError.timeout(unfinished: unique.filter { !$0.isDone }.count)
                    }
                    timer = try callAt(deadline) { if !waiter.isDone { try? waiter.setResult(()) } }
                }
                defer { timer?.cancel() }
                try await waiter.value
                if !future.isDone {
                    throw ConcurrencyError.timeout(unfinished: unique.filter { !$0.isDone }.count)
                }
            }
            return future
        }
    }

    private func distinct<Value>(_ futures: [any LoopFuture<Value>]) -> [any LoopFuture<Value>] {
        var seen = Set<ObjectIdentifier>()
        return futures.filter { seen.insert(ObjectIdentifier($0)).inserted }
    }
}

private struct GatherTally<Value> {
    var remaining: Int
    var completed: [Value] = []
}

import ConcurrencyConformance
import ConcurrencySpec
import Foundation

/// The Swift side of fixture_trace.Tracer: twins call ``emit(_:_:timed:set:)``
/// where the CPython scenario calls `tr.emit`.
///
/// Create it on the twin's own thread: that thread is the actor "main".
/// Events from other threads are "worker"; events from a task step of the
/// loop handed to ``useLoop(_:)`` are "task". Times are in units since
/// ``start()``, read from the loop's clock once a loop is in use (virtual time
/// makes them exact), otherwise from the continuous clock.
final class Recorder: Sendable {
    let unit: Duration
    private let main = ThreadIdentity.current
    private let state = Locked<State>(State())

    private struct State {
        var events: [TraceEvent] = []
        var loop: (any EventLoop)?
        var realOrigin = ContinuousClock.now
        var loopOrigin: Duration = .zero
    }

    init(unit: Duration) { self.unit = unit }

    /// Measures time on `loop`'s clock from now on, and recognises its tasks.
    func useLoop(_ loop: any EventLoop) {
        state.withLock { $0.loop = loop }
        start()
    }

    /// A new loop of `subject`, used as by ``useLoop(_:)``.
    func useLoop(of subject: ReplaySubject, virtualTime: Bool) throws -> any EventLoop {
        let loop = try subject.loop(virtualTime: virtualTime)
        useLoop(loop)
        return loop
    }

    /// Time zero.
    func start() {
        let loop = state.withLock { $0.loop }
        let loopNow = loop?.time ?? .zero
        state.withLock {
            $0.realOrigin = ContinuousClock.now
            $0.loopOrigin = loopNow
        }
    }

    /// Units since ``start()``.
    var now: Double {
        let (loop, realOrigin, loopOrigin) = state.withLock { ($0.loop, $0.realOrigin, $0.loopOrigin) }
        let elapsed = loop.map { $0.time - loopOrigin } ?? (ContinuousClock.now - realOrigin)
        return elapsed / unit
    }

    private var actor: String {
        guard ThreadIdentity.current == main else { return "worker" }
        let loop = state.withLock { $0.loop }
        return loop?.currentTask != nil ? "task" : "main"
    }

    func emit(_ event: String, _ payload: JSON = nil, timed: Bool = true, set: String? = nil) {
        let record = TraceEvent(event: event, actor: actor, payload: payload, time: timed ? now : nil, set: set)
        state.withLock { $0.events.append(record) }
    }

    var events: [TraceEvent] { state.withLock { $0.events } }
}

/// The implementation a twin runs against: factories only, so that the twins
/// work for any conforming implementation, as the kit's clauses do.
struct ReplaySubject: Sendable {
    var name: String
    var futures: any FutureFactory
    var executors: any ExecutorFactory
    var loops: any LoopFactory
    var processPools: (any ProcessPoolFactory)?

    func threadPool(_ maxWorkers: Int? = nil) throws -> any ConcurrentExecutor {
        try executors.makeExecutor(maxWorkers: maxWorkers, initializer: nil)
    }

    func processPool(_ maxWorkers: Int? = nil) throws -> any ConcurrentExecutor {
        guard let processPools else { throw TraceError("\(name) has no process pool") }
        return try processPools.makeProcessPool(maxWorkers: maxWorkers, initializer: nil, maxTasksPerChild: nil)
    }

    func loop(virtualTime: Bool) throws -> any EventLoop { try loops.makeLoop(virtualTime: virtualTime) }

    func future<Value: Sendable>(_ type: Value.Type) -> any ConcurrentFuture<Value> { futures.makeFuture(of: type) }
}

/// Python's `with executor:` for an existential executor.
@discardableResult
func scoped<Result>(_ executor: any ConcurrentExecutor, _ body: (any ConcurrentExecutor) throws -> Result) rethrows -> Result {
    defer { executor.shutdown(wait: true, cancelFutures: false) }
    return try body(executor)
}

/// A Python exception raised by a seed function (`raise ValueError(x)`).
struct ValueError: Error, Equatable {
    var argument: Int
}

/// The kit's name of an error, as fixture_trace.error_name gives it for Python.
func errorName(_ error: any Error) -> String {
    if let error = error as? ConcurrencyError { return error.kind.rawValue }
    if error is CancellationError { return "cancelled" }
    if error is ValueError { return "ValueError" }
    return String(describing: type(of: error))
}

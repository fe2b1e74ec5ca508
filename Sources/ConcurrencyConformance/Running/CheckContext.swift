import ConcurrencyPrimitives
import ConcurrencySpec
import Dispatch
import Foundation

/// Thrown by ``CheckContext/skip(_:)`` to end a check early.
struct CheckSkipped: Error {}

/// What a check works with: the implementation's factories, the timing
/// configuration, and the recorder that collects failures from any thread.
///
/// A check never uses `#expect`: it reports through this context, so the same
/// check runs from `swift test`, from the `conformance` command, and against
/// the mutants. Failures recorded on other threads or inside callbacks are
/// attributed to this clause; threads started with ``spawn(_:_:)`` are part
/// of the check, which ends only when they have ended too.
public final class CheckContext: Sendable {
    /// The implementation under test.
    public let implementation: Implementation
    /// The variant being run, if the clause has variants.
    public let variant: Variant?
    /// The timing configuration.
    public let timing: Timing

    private let recorder = Locked(Recording())
    private let threads: DispatchGroup
    private let executors = Locked<[any ConcurrentExecutor]>([])
    private let loops = Locked<[any EventLoop]>([])
    private let boards = Locked<[Board]>([])

    private struct Recording {
        var failures: [Failure] = []
        var skipReason: String?
        var sealed = false
    }

    init(implementation: Implementation, variant: Variant?, timing: Timing, threads: DispatchGroup) {
        self.implementation = implementation
        self.variant = variant
        self.timing = timing
        self.threads = threads
    }

    // MARK: Recording

    /// Records a failure.
    public func fail(_ message: String, fileID: String = #fileID, line: Int = #line) {
        let failure = Failure(message: message, location: CheckLocation(fileID: fileID, line: line))
        recorder.withLock { recording in
            // After the watchdog gave up, the verdict is already out; an
            // abandoned thread that wakes late must not change it.
            if !recording.sealed { recording.failures.append(failure) }
        }
    }

    /// Records a failure unless `condition` holds.
    /// - Returns: `condition`, so a check can stop early.
    @discardableResult
    public func expect(
        _ condition: Bool,
        _ message: @autoclosure () -> String,
        fileID: String = #fileID,
        line: Int = #line
    ) -> Bool {
        if !condition { fail(message(), fileID: fileID, line: line) }
        return condition
    }

    /// Runs `body` and records a failure unless it throws a
    /// ``ConcurrencySpec/ConcurrencyError`` of the given kind.
    /// - Returns: The error thrown, whatever it was.
    @discardableResult
    public func expectThrows<Result>(
        _ kind: ConcurrencyError.Kind,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: () throws -> Result
    ) -> (any Error)? {
        do {
            let value = try body()
            fail("\(what) returned \(value) instead of throwing \(kind)", fileID: fileID, line: line)
            return nil
        } catch let error as ConcurrencyError where error.kind == kind {
            return error
        } catch {
            fail("\(what) threw \(describe(error)) instead of \(kind)", fileID: fileID, line: line)
            return error
        }
    }

    /// The `async` form of ``expectThrows(_:_:fileID:line:_:)``, for loop
    /// futures and tasks.
    @discardableResult
    public func expectThrows<Result>(
        _ kind: ConcurrencyError.Kind,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: () async throws -> Result
    ) async -> (any Error)? {
        do {
            let value = try await body()
            fail("\(what) returned \(value) instead of throwing \(kind)", fileID: fileID, line: line)
            return nil
        } catch let error as ConcurrencyError where error.kind == kind {
            return error
        } catch {
            fail("\(what) threw \(describe(error)) instead of \(kind)", fileID: fileID, line: line)
            return error
        }
    }

    /// Runs `body` and records a failure if it throws.
    /// - Returns: The value, or `nil` when it threw.
    public func expectNoThrow<Result>(
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: () throws -> Result
    ) -> Result? {
        do {
            return try body()
        } catch {
            fail("\(what) threw \(describe(error))", fileID: fileID, line: line)
            return nil
        }
    }

    /// Describes an error with its type, for failure messages.
    public func describe(_ error: any Error) -> String {
        "\(type(of: error)).\(error)"
    }

    /// The failures recorded so far.
    public var failures: [Failure] { recorder.value.failures }

    /// Ends the check as a visible skip: what it needs to observe cannot be
    /// observed here (for instance a thread's exit on a platform that does
    /// not list threads). Failures recorded before still fail the clause.
    public func skip(_ reason: String) throws -> Never {
        recorder.withLock { if !$0.sealed { $0.skipReason = reason } }
        throw CheckSkipped()
    }

    var skipReason: String? { recorder.value.skipReason }

    func seal() -> [Failure] {
        recorder.withLock { recording in
            recording.sealed = true
            return recording.failures
        }
    }

    // MARK: Factories

    /// A new pending future of the implementation under test.
    ///
    /// Only clauses that require ``Capability/futures`` call it, and the kit
    /// skips them for implementations without futures.
    public func makeFuture<Value: Sendable>(of type: Value.Type = Value.self) -> any ConcurrentFuture<Value> {
        guard let factory = implementation.futures else {
            preconditionFailure("\(implementation.name) has no future factory; the clause must require .futures")
        }
        return factory.makeFuture(of: type)
    }

    /// A new executor of the implementation under test, shut down (without
    /// waiting) when the check ends so that no check leaks its workers.
    ///
    /// Only clauses that require ``Capability/executor`` call it.
    public func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)? = nil
    ) throws -> any ConcurrentExecutor {
        let executor = try executorFactory.makeExecutor(maxWorkers: maxWorkers, initializer: initializer)
        executors.withLock { $0.append(executor) }
        return executor
    }

    /// A new process pool of the implementation under test, shut down
    /// (without waiting) when the check ends.
    ///
    /// Only clauses that require ``Capability/processPool`` call it.
    public func makeProcessPool(
        maxWorkers: Int?,
        initializer: (any PortableJob)? = nil,
        maxTasksPerChild: Int? = nil
    ) throws -> any ConcurrentExecutor {
        guard let factory = implementation.processPools else {
            preconditionFailure("\(implementation.name) has no process-pool factory; the clause must require .processPool")
        }
        let pool = try factory.makeProcessPool(maxWorkers: maxWorkers, initializer: initializer, maxTasksPerChild: maxTasksPerChild)
        executors.withLock { $0.append(pool) }
        return pool
    }

    /// The implementation's `wait` (Python's `concurrent.futures.wait`).
    public func wait<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration? = nil,
        returnWhen: ReturnWhen = .allCompleted
    ) -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>]) {
        executorFactory.wait(futures, timeout: timeout, returnWhen: returnWhen)
    }

    /// The implementation's `asCompleted` (Python's `as_completed`).
    public func asCompleted<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration? = nil
    ) -> any CompletionIterator<Value> {
        executorFactory.asCompleted(futures, timeout: timeout)
    }

    private var executorFactory: any ExecutorFactory {
        guard let factory = implementation.executors else {
            preconditionFailure("\(implementation.name) has no executor factory; the clause must require .executor")
        }
        return factory
    }

    /// A new, empty ``Board`` for the probes of this check, removed when the
    /// check ends, after its executors are shut down; removing it also
    /// releases every probe still waiting on one of its gates.
    public func makeBoard() throws -> Board {
        let board = try Board.create()
        boards.withLock { $0.append(board) }
        return board
    }

    func shutDownExecutors() {
        for executor in executors.withLock({ $0 }) {
            executor.shutdown(wait: false, cancelFutures: true)
        }
        for board in boards.withLock({ $0 }) {
            board.remove()
        }
        // A loop still running belongs to a check the watchdog abandoned;
        // closing it would fail, and it is left to its thread.
        for loop in loops.withLock({ $0 }) where !loop.isRunning {
            try? loop.close()
        }
    }

    // MARK: Loops

    /// Whether the check runs in the implementation's virtual time (the
    /// ``Variant/virtualClock`` variant), where loop-time deltas are exact.
    public var isVirtualClock: Bool { variant == .virtualClock }

    /// A new loop of the implementation under test, in virtual time for the
    /// ``Variant/virtualClock`` variant (skipping the check when the
    /// implementation has no virtual clock) and in real time otherwise. Loops
    /// are closed when the check ends.
    ///
    /// Only clauses that require ``Capability/eventLoop`` call it.
    public func makeLoop() throws -> any EventLoop {
        if isVirtualClock, !implementation.capabilities.contains(.virtualTime) {
            try skip("the implementation declares no virtual clock (capability virtualTime)")
        }
        return try makeLoop(virtualTime: isVirtualClock)
    }

    /// A new loop that always keeps real time, for checks about work on
    /// other threads, which virtual time does not measure.
    public func makeRealTimeLoop() throws -> any EventLoop {
        try makeLoop(virtualTime: false)
    }

    private func makeLoop(virtualTime: Bool) throws -> any EventLoop {
        guard let factory = implementation.loops else {
            preconditionFailure("\(implementation.name) has no loop factory; the clause must require .eventLoop")
        }
        let loop = try factory.makeLoop(virtualTime: virtualTime)
        loops.withLock { $0.append(loop) }
        return loop
    }

    /// Runs `body` as a task on `loop` (a new one from ``makeLoop()`` when
    /// `nil`) until it is done (Python's `loop.run_until_complete(main())`);
    /// a thrown error is a failure and gives `nil`.
    public func runOnLoop<Result: Sendable>(
        _ existing: (any EventLoop)? = nil,
        _ what: String = "the check's main task",
        fileID: String = #fileID,
        line: Int = #line,
        _ body: @escaping @Sendable (any EventLoop) async throws -> Result
    ) throws -> Result? {
        let loop = try existing ?? makeLoop()
        do {
            return try loop.runUntilComplete { try await body(loop) }
        } catch {
            fail("\(what) threw \(describe(error))", fileID: fileID, line: line)
            return nil
        }
    }

    /// Checks a span of loop time: exactly `units` in virtual time; at least
    /// `units` less one clock resolution and below `below` units in real time.
    public func expectLoopSpan(
        _ span: Duration,
        units count: Double,
        below upper: Double,
        resolution: Duration,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        if isVirtualClock {
            expect(
                span == units(count),
                "\(what) took \(format(span)) of virtual time, not exactly \(format(units(count)))",
                fileID: fileID,
                line: line
            )
        } else {
            expectAtLeast(span, units(count) - resolution, what, fileID: fileID, line: line)
            expectBelow(span, units(upper), what, fileID: fileID, line: line)
        }
    }

    // MARK: Threads

    /// Starts a thread that is part of the check: the check ends only when
    /// it has ended too, and an error it throws is recorded as a failure.
    @discardableResult
    public func spawn(
        _ name: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: @escaping @Sendable () throws -> Void
    ) -> Latch {
        let finished = Latch(count: 1)
        threads.enter()
        let thread = Thread { [self] in
            defer {
                finished.arrive()
                threads.leave()
            }
            do {
                try body()
            } catch {
                fail("thread '\(name)' threw \(describe(error))", fileID: fileID, line: line)
            }
        }
        thread.name = "conformance: \(name)"
        thread.start()
        return finished
    }

    /// Completes a future the way the current completion variant says:
    /// inline for ``Variant/alreadyDone``, on another thread at once for
    /// ``Variant/doneRightAway``, and on another thread one unit later for
    /// ``Variant/doneLater``.
    public func complete(
        fileID: String = #fileID,
        line: Int = #line,
        _ completion: @escaping @Sendable () throws -> Void
    ) {
        switch variant {
        case Variant.doneRightAway?:
            spawn("completer", fileID: fileID, line: line, completion)
        case Variant.doneLater?:
            let delay = units(1)
            spawn("completer", fileID: fileID, line: line) {
                Thread.sleep(forTimeInterval: delay.seconds)
                try completion()
            }
        default:
            do {
                try completion()
            } catch {
                fail("completing the future threw \(describe(error))", fileID: fileID, line: line)
            }
        }
    }

    // MARK: Time

    /// `count` time units.
    public func units(_ count: Double) -> Duration { timing.units(count) }

    /// How long a check waits for something that should happen promptly
    /// before calling it lost: generous, so that only a real defect fails.
    public var patience: Duration { units(20) }

    /// Blocks the calling thread for `count` units.
    public func sleep(units count: Double) {
        Thread.sleep(forTimeInterval: units(count).seconds)
    }

    /// Runs `body` and returns its result with the elapsed time.
    public func measure<Result>(_ body: () throws -> Result) rethrows -> (result: Result, elapsed: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try body()
        return (result, clock.now - start)
    }

    /// Records a failure unless `elapsed` is at least `bound`: a hard lower
    /// bound, which no machine can break by being slow.
    public func expectAtLeast(
        _ elapsed: Duration,
        _ bound: Duration,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        expect(
            elapsed >= bound,
            "\(what) took \(format(elapsed)), less than the lower bound \(format(bound))",
            fileID: fileID,
            line: line
        )
    }

    /// Records a failure unless `elapsed` is below `bound`: a comparative
    /// upper bound, placed between the two hypotheses a check separates.
    public func expectBelow(
        _ elapsed: Duration,
        _ bound: Duration,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        expect(
            elapsed < bound,
            "\(what) took \(format(elapsed)), not below \(format(bound))",
            fileID: fileID,
            line: line
        )
    }

    func format(_ duration: Duration) -> String {
        let milliseconds = duration.seconds * 1000
        return String(format: "%.1f ms (%.2f units)", milliseconds, duration.seconds / timing.unit.seconds)
    }
}

/// A handle on a callback scheduled on an ``EventLoop``.
///
/// Python: `asyncio.Handle` and `asyncio.TimerHandle`.
public protocol LoopHandle: AnyObject, Sendable {
    /// Prevents the callback from running; does nothing if it has already run.
    func cancel()
    /// Whether ``cancel()`` was called.
    var isCancelled: Bool { get }
    /// For a timer, the loop time at which it is due; `nil` for `callSoon`.
    var when: Duration? { get }
}

/// What an event loop hands its exception handler. Python: the `context`
/// dictionary of `call_exception_handler`.
public struct LoopExceptionContext: Sendable, CustomStringConvertible {
    /// What happened, in one line.
    public var message: String
    /// The error, when there is one.
    public var error: (any Error)?

    /// Creates a context.
    public init(message: String, error: (any Error)? = nil) {
        self.message = message
        self.error = error
    }

    public var description: String {
        error.map { "\(message): \($0)" } ?? message
    }
}

/// A single-threaded event loop with the semantics of Python's `asyncio`
/// event loop.
///
/// Callbacks and task steps run one at a time on the thread that runs the
/// loop (the caller of ``runForever()`` or ``runUntilComplete(_:)``). Each
/// iteration runs the callbacks that were ready when it began, in the order
/// they were scheduled; callbacks they schedule wait for the next iteration.
/// Timers run no earlier than their deadline minus one
/// ``clockResolution``.
///
/// The asyncio module functions (`sleep`, `gather`, `wait`, `wait_for`,
/// `as_completed`, `wrap_future`) are requirements too, so that an
/// implementation can specialize them and the kit can check them; every one
/// but ``sleep(_:)`` has a default built on the other requirements.
public protocol EventLoop: AnyObject, Sendable {
    /// The loop's monotonic clock reading, measured from an arbitrary epoch.
    /// Python: `loop.time()`. A loop in virtual time advances it by jumping to
    /// the next timer whenever nothing is ready.
    var time: Duration { get }

    /// How early a timer may fire: the granularity of the loop's clock.
    /// Python: `loop._clock_resolution`. Zero for a virtual clock.
    var clockResolution: Duration { get }

    /// Whether the loop is running. Python: `is_running()`.
    var isRunning: Bool { get }

    /// Whether the loop was closed. Python: `is_closed()`.
    var isClosed: Bool { get }

    /// Schedules `callback` to run on the next iteration, after every callback
    /// scheduled before it. Python: `call_soon`. An error thrown by the
    /// callback goes to the exception handler; the loop keeps running.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callSoon(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle

    /// Like ``callSoon(_:)``, callable from any thread; wakes an idle loop.
    /// Python: `call_soon_threadsafe`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle

    /// Schedules `callback` to run no earlier than `delay` from now.
    /// Python: `call_later`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed;
    ///   ``ConcurrencyError/invalidArgument(_:)`` for a negative delay (Python
    ///   treats one as zero; a negative `Duration` here is taken for a bug).
    @discardableResult
    func callLater(_ delay: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle

    /// Schedules `callback` to run no earlier than loop time `when`; a time in
    /// the past means as soon as possible. Python: `call_at`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callAt(_ when: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle

    /// Replaces the handler that receives errors thrown by callbacks and
    /// other problems the loop cannot raise to anyone; `nil` restores the
    /// default, which prints to standard error. Python:
    /// `set_exception_handler`.
    func setExceptionHandler(_ handler: (@Sendable (LoopExceptionContext) -> Void)?)

    /// Creates a pending future bound to this loop. Python: `create_future()`.
    func createFuture<Value: Sendable>(of type: Value.Type) -> any LoopFuture<Value>

    /// Wraps `body` in a task scheduled on this loop. No code of `body` runs
    /// before the creator next yields to the loop; tasks take their first
    /// step in creation order. Python: `create_task(coro, name=name)`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    func createTask<Value: Sendable>(
        name: String?,
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value>

    /// The task whose step is running on this loop right now, or `nil`
    /// outside any task. Python: `asyncio.current_task()`.
    var currentTask: (any AnyLoopTask)? { get }

    /// The tasks of this loop that are not done yet. Python: `all_tasks()`.
    var allTasks: [any AnyLoopTask] { get }

    /// Runs the loop on the calling thread until `future` is done, then
    /// returns its result. Python: `run_until_complete(future)`.
    /// - Throws: The future's error; ``ConcurrencyError/loopClosed``;
    ///   ``ConcurrencyError/loopRunning`` when this loop or another runs on
    ///   this thread already; ``ConcurrencyError/invalidState(operation:state:)``
    ///   when ``stop()`` ended the run before the future was done.
    func runUntilComplete<Value: Sendable>(_ future: any LoopFuture<Value>) throws -> Value

    /// Runs the loop on the calling thread until ``stop()`` is called.
    /// Python: `run_forever()`.
    /// - Throws: ``ConcurrencyError/loopClosed``; ``ConcurrencyError/loopRunning``.
    func runForever() throws

    /// Asks a running loop to return once the current iteration ends; before
    /// ``runForever()``, makes the next run one iteration long. Python:
    /// `stop()`.
    func stop()

    /// Closes the loop: pending callbacks are dropped, later work is refused,
    /// and the default executor is shut down. Idempotent. Tasks still pending
    /// are reported to the exception handler and cancelled without running on
    /// the loop again, so nothing they hold leaks. Python: `close()`.
    /// - Throws: ``ConcurrencyError/loopRunning`` on a running loop.
    func close() throws

    /// Runs a blocking `job` on `executor` (the loop's default thread pool
    /// when `nil`) and returns a loop future for its outcome, so the loop keeps
    /// serving other tasks meanwhile. Python: `run_in_executor(executor, fn)`;
    /// the seed's advice to use `ensure_future` for blocking code is wrong,
    /// this is the tool.
    /// - Throws: ``ConcurrencyError/loopClosed``, or the executor's refusal.
    func runInExecutor<Value: Sendable>(
        _ executor: (any ConcurrentExecutor)?,
        _ job: @escaping @Sendable () throws -> Value
    ) throws -> any LoopFuture<Value>

    /// Suspends the calling task for `delay` of loop time; other tasks and
    /// callbacks run meanwhile. `sleep(.zero)` yields exactly one iteration.
    /// Python: `asyncio.sleep(delay)`.
    /// - Throws: ``ConcurrencyError/cancelled`` when the task is cancelled
    ///   meanwhile; ``ConcurrencyError/invalidArgument(_:)`` for a negative
    ///   delay; ``ConcurrencyError/noRunningLoop`` outside a task of this loop.
    func sleep(_ delay: Duration) async throws

    /// A future for the results of `futures`, in argument order, failing
    /// with the first error as soon as it occurs (the others keep running).
    /// Cancelling it cancels every child not yet done. Python:
    /// `gather(*aws)`.
    func gather<Value: Sendable>(_ futures: [any LoopFuture<Value>]) -> any LoopFuture<[Value]>

    /// A future for the outcomes of `futures`, in argument order, once all are
    /// done; errors and cancellations take their places in the list. Python:
    /// `gather(*aws, return_exceptions=True)`.
    func gatherOutcomes<Value: Sendable>(_ futures: [any LoopFuture<Value>]) -> any LoopFuture<[Result<Value, any Error>]>

    /// Waits until `returnWhen` holds or `timeout` passes, then partitions
    /// `futures` (duplicates collapsed) into done and pending. Cancels
    /// nothing. Python: `asyncio.wait(aws, timeout=, return_when=)`.
    /// - Throws: ``ConcurrencyError/invalidArgument(_:)`` for an empty list;
    ///   ``ConcurrencyError/cancelled`` when the calling task is cancelled.
    func wait<Value: Sendable>(
        _ futures: [any LoopFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) async throws -> (done: [any LoopFuture<Value>], pending: [any LoopFuture<Value>])

    /// Awaits `future` for at most `timeout`; on timeout cancels it, waits
    /// until it has handled the cancellation, then throws. Python:
    /// `asyncio.wait_for(aw, timeout)`.
    /// - Throws: ``ConcurrencyError/timeout(unfinished:)``, the future's error,
    ///   or ``ConcurrencyError/cancelled``.
    func waitFor<Value: Sendable>(_ future: any LoopFuture<Value>, timeout: Duration?) async throws -> Value

    /// The futures (duplicates collapsed) in the order they complete; the
    /// sequence throws ``ConcurrencyError/timeout(unfinished:)`` once `timeout`
    /// has passed since the call with some still pending. Python:
    /// `asyncio.as_completed(aws, timeout=)`.
    func asCompleted<Value: Sendable>(_ futures: [any LoopFuture<Value>], timeout: Duration?) -> LoopCompletions<Value>

    /// Runs `body` as the main task, then cancels every task still pending and
    /// lets them finish, and closes the loop: the twin of Python's
    /// `asyncio.run(main())` on this (fresh) loop. Has a default.
    func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value

    /// A loop future that mirrors `future`, completed on the loop's thread;
    /// cancelling it cancels `future`. Python: `asyncio.wrap_future`.
    func wrapFuture<Value: Sendable>(_ future: any ConcurrentFuture<Value>) -> any LoopFuture<Value>
}

extension EventLoop {
    /// Wraps `body` in an unnamed task. Python: `create_task(coro)`.
    public func createTask<Value: Sendable>(
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value> {
        try createTask(name: nil, body)
    }

    /// Wraps `body` in a task and runs the loop until it is done, leaving the
    /// loop stopped but open. Python: `run_until_complete(coro)`.
    public func runUntilComplete<Value: Sendable>(
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> Value {
        try runUntilComplete(try createTask(name: nil, body))
    }

    /// Runs `body` as the main task, then cancels every task still pending and
    /// lets them finish, shuts the default executor down, and closes the loop.
    /// The twin of Python's `asyncio.run(main())` on a fresh loop.
    public func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
        defer { try? close() }
        let main = try createTask(name: "main", body)
        let outcome = Result { try runUntilComplete(main) }
        let leftovers = allTasks
        if !leftovers.isEmpty {
            for task in leftovers { task.cancel() }
            let erased: [any LoopFuture<Void>] = leftovers.map { task in
                let done = createFuture(of: Void.self)
                task.addDoneCallback { _ in try? done.setResult(()) }
                return done
            }
            _ = try? runUntilComplete(gatherOutcomes(erased))
        }
        return try outcome.get()
    }

    /// Runs the blocking `job` on the loop's default thread pool and awaits
    /// it. Python: `asyncio.to_thread(fn)`.
    public func toThread<Value: Sendable>(_ job: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await runInExecutor(nil, job).value
    }
}

/// The loop and task a task body runs in.
///
/// Implementations bind ``loop`` around every task body they run, so that
/// code deep inside a task can reach its loop the way Python's
/// `get_running_loop()` does.
public enum LoopContext {
    /// The loop running the current task, or `nil` outside any loop task.
    @TaskLocal public static var loop: (any EventLoop)?

    /// The running loop. Python: `asyncio.get_running_loop()`.
    /// - Throws: ``ConcurrencyError/noRunningLoop`` outside a loop task.
    public static func runningLoop() throws -> any EventLoop {
        guard let loop else { throw ConcurrencyError.noRunningLoop }
        return loop
    }

    /// Wraps `body` in a task of the running loop. Python:
    /// `asyncio.create_task(coro)`.
    /// - Throws: ``ConcurrencyError/noRunningLoop`` outside a loop task.
    public static func createTask<Value: Sendable>(
        name: String? = nil,
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value> {
        try runningLoop().createTask(name: name, body)
    }
}

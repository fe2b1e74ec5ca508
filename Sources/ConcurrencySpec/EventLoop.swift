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

/// A single-threaded event loop with the semantics of Python's `asyncio`
/// event loop.
///
/// Callbacks and task steps run one at a time on the loop's thread. Ready
/// callbacks run in the order they were scheduled; timers run no earlier than
/// their deadline.
///
/// - Note: First draft. The loop issue finalizes it together with
///   ``LoopFuture`` and ``LoopTask``.
public protocol EventLoop: AnyObject, Sendable {
    /// The loop's monotonic clock reading, measured from an arbitrary epoch.
    /// Python: `loop.time()`. A loop in virtual time advances it by jumping to
    /// the next timer whenever nothing is ready.
    var time: Duration { get }

    /// Whether the loop is running. Python: `is_running()`.
    var isRunning: Bool { get }

    /// Whether the loop was closed. Python: `is_closed()`.
    var isClosed: Bool { get }

    /// Schedules `callback` to run on the next iteration, after every callback
    /// scheduled before it. Python: `call_soon`. Call it from the loop's
    /// thread.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callSoon(_ callback: @escaping @Sendable () -> Void) throws -> any LoopHandle

    /// Like ``callSoon(_:)``, callable from any thread; wakes an idle loop.
    /// Python: `call_soon_threadsafe`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callSoonThreadsafe(_ callback: @escaping @Sendable () -> Void) throws -> any LoopHandle

    /// Schedules `callback` to run no earlier than `delay` from now.
    /// Python: `call_later`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callLater(_ delay: Duration, _ callback: @escaping @Sendable () -> Void) throws -> any LoopHandle

    /// Schedules `callback` to run no earlier than loop time `when`.
    /// Python: `call_at`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    @discardableResult
    func callAt(_ when: Duration, _ callback: @escaping @Sendable () -> Void) throws -> any LoopHandle

    /// Creates a pending future bound to this loop. Python: `create_future()`.
    func createFuture<Value: Sendable>(of type: Value.Type) -> any LoopFuture<Value>

    /// Wraps `body` in a task scheduled on this loop. The task takes its first
    /// step only when the creator next yields to the loop. Python:
    /// `create_task(coro)`.
    /// - Throws: ``ConcurrencyError/loopClosed`` when the loop is closed.
    func createTask<Value: Sendable>(
        name: String?,
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value>

    /// Runs the loop until `future` is done, then returns its result.
    /// Python: `run_until_complete(future)`.
    /// - Throws: The future's error, or ``ConcurrencyError/loopClosed``.
    func runUntilComplete<Value: Sendable>(_ future: any LoopFuture<Value>) throws -> Value

    /// Runs the loop until ``stop()`` is called. Python: `run_forever()`.
    func runForever() throws

    /// Asks a running loop to return after the current iteration. Python:
    /// `stop()`.
    func stop()

    /// Closes the loop; it then refuses new work. Python: `close()`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when
    ///   called on a running loop.
    func close() throws

    /// Runs a blocking `job` on `executor` (a default thread pool when `nil`)
    /// and returns a loop future for its outcome, so the loop keeps serving
    /// other tasks meanwhile. Python: `run_in_executor(executor, fn)`; the
    /// seed's advice to use `ensure_future` for blocking code is wrong, this is
    /// the tool.
    func runInExecutor<Value: Sendable>(
        _ executor: (any ConcurrentExecutor)?,
        _ job: @escaping @Sendable () throws -> Value
    ) -> any LoopFuture<Value>
}

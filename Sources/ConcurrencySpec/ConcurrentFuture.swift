import Synchronization

/// A thread-safe handle on the outcome of a call that runs elsewhere, with the
/// semantics of Python's `concurrent.futures.Future`.
///
/// Every method may be called from any thread. Reading the outcome blocks the
/// calling thread (``result(timeout:)``, ``exception(timeout:)``); Swift code
/// that must not block reads ``value`` instead.
///
/// The executor side of the contract (``setRunningOrNotifyCancel()``,
/// ``setResult(_:)``, ``setException(_:)``) is public, as in Python, so that
/// executors and tests can drive a future by hand.
///
/// A future moves `pending → running → finished` or `pending → cancelled`
/// (see ``FutureState``); once ``isDone`` is true it stays true and its
/// outcome never changes. Completing a future happens-before every read that
/// observes the completion: writes made by the job before it returned are
/// visible to any thread that has seen ``isDone`` return true or has received
/// the result.
public protocol ConcurrentFuture<Value>: AnyObject, Sendable {
    /// The type of the result.
    associatedtype Value: Sendable

    /// The current state. Python keeps it private (`_state`); it is public here
    /// so that conformance checks can observe every transition.
    var state: FutureState { get }

    /// Whether the future was cancelled. Python: `cancelled()`.
    var isCancelled: Bool { get }

    /// Whether the call is running and can no longer be cancelled. Python:
    /// `running()`.
    var isRunning: Bool { get }

    /// Whether the future finished or was cancelled. Python: `done()`.
    var isDone: Bool { get }

    /// Attempts to cancel the call.
    ///
    /// Python: `cancel()`.
    /// - Returns: `true` when the future is now cancelled: it was pending, or
    ///   it was already cancelled (cancelling twice returns `true` both
    ///   times). `false`, leaving the future untouched, when the call is
    ///   running or finished. A successful cancel runs the done callbacks and
    ///   wakes every blocked reader.
    @discardableResult
    func cancel() -> Bool

    /// Blocks until the future is done, then returns its result.
    ///
    /// Python: `result(timeout=None)`.
    /// - Parameter timeout: How long to wait; `nil` waits without limit. A
    ///   zero or negative timeout does not block.
    /// - Returns: The value the call produced.
    /// - Throws: The call's own error, unchanged;
    ///   ``ConcurrencyError/cancelled`` at once when the future is cancelled,
    ///   whatever the timeout; ``ConcurrencyError/timeout(unfinished:)`` after
    ///   at least `timeout` when the future is still not done.
    func result(timeout: Duration?) throws -> Value

    /// Blocks until the future is done, then returns the error of the call.
    ///
    /// Python: `exception(timeout=None)`.
    /// - Parameter timeout: How long to wait; `nil` waits without limit.
    /// - Returns: The error the call threw, or `nil` when it returned a value.
    /// - Throws: ``ConcurrencyError/cancelled`` when the future is cancelled;
    ///   ``ConcurrencyError/timeout(unfinished:)`` when it is still not done
    ///   after `timeout`.
    func exception(timeout: Duration?) throws -> (any Error)?

    /// Registers a callback to run once the future is done.
    ///
    /// Python: `add_done_callback(fn)`. Callbacks registered before completion
    /// run exactly once each, in registration order, after the state has become
    /// done, on the thread that completed or cancelled the future and before
    /// that call returns. A callback added to a future that is already done
    /// runs at once, on the calling thread, before this method returns. An
    /// error thrown by a callback is reported and swallowed: later callbacks
    /// still run and the outcome is unaffected.
    func addDoneCallback(_ callback: @escaping @Sendable (Self) throws -> Void)

    /// Marks the call as started, or acknowledges its cancellation. Executors
    /// call this just before running the job.
    ///
    /// Python: `set_running_or_notify_cancel()`.
    /// - Returns: `true` when the future was pending and is now running, so the
    ///   job must run; `false` when it was cancelled, so the job must not run.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when the
    ///   future is running, finished, or its cancellation was already
    ///   acknowledged (Python raises `RuntimeError`).
    func setRunningOrNotifyCancel() throws -> Bool

    /// Completes the future with a value.
    ///
    /// Python: `set_result(result)`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when the
    ///   future is already done; the stored outcome is left unchanged.
    func setResult(_ value: Value) throws

    /// Completes the future with an error.
    ///
    /// Python: `set_exception(exception)`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when the
    ///   future is already done; the stored outcome is left unchanged.
    func setException(_ error: any Error) throws

    /// Waits for the outcome without blocking a thread.
    ///
    /// The Swift twin of awaiting `asyncio.wrap_future(future)`. Like
    /// `Task.value`, it does not react to cancellation of the awaiting task;
    /// cancel the future itself to stop the work.
    /// - Throws: The call's own error unchanged, or
    ///   ``ConcurrencyError/cancelled``.
    var value: Value { get async throws }
}

extension ConcurrentFuture {
    public var isCancelled: Bool { state.isCancelled }
    public var isRunning: Bool { state == .running }
    public var isDone: Bool { state.isDone }

    /// Blocks until the future is done, without a time limit, then returns its
    /// result. Python: `result()`.
    public func result() throws -> Value { try result(timeout: nil) }

    /// Blocks until the future is done, without a time limit, then returns
    /// the error of the call or `nil`. Python: `exception()`.
    public func exception() throws -> (any Error)? { try exception(timeout: nil) }

    public var value: Value {
        get async throws {
            // Built on the done callback, so no thread of the cooperative pool
            // ever blocks. The once-flag makes a broken implementation that
            // runs a callback twice fail its clause instead of crashing the
            // process on a double resume.
            try await withCheckedThrowingContinuation { continuation in
                let once = ResumeOnce()
                addDoneCallback { future in
                    guard once.claim() else { return }
                    continuation.resume(with: Result { try future.result(timeout: .zero) })
                }
            }
        }
    }
}

/// A flag that lets exactly one caller through.
private final class ResumeOnce: Sendable {
    private let claimed = Atomic<Bool>(false)
    func claim() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }
}

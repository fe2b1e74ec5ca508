/// An identifier for a done callback registered on a loop future.
///
/// Swift closures have no identity, so Python's `remove_done_callback(fn)`
/// takes the key under which the callback was registered instead.
public struct DoneCallbackKey: Hashable, Sendable, RawRepresentable {
    public var rawValue: String
    /// Creates a key.
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// What every loop future offers whatever its value type: its state, its
/// loop, cancellation and done callbacks.
///
/// ``EventLoop/wait(_:timeout:returnWhen:)``, `gather` and the loop's task
/// bookkeeping work on this view, the way Python's `asyncio` functions accept
/// any future.
public protocol AnyLoopFuture: AnyObject, Sendable {
    /// The loop the future belongs to. Python: `get_loop()`.
    var loop: any EventLoop { get }

    /// The current state: `pending`, `cancelled` or `finished` (a loop future
    /// is never `running`).
    var state: FutureState { get }

    /// The stored error, or `nil` when the future finished with a value.
    /// Python: `exception()`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when not
    ///   done; ``ConcurrencyError/cancelled`` when cancelled.
    func exception() throws -> (any Error)?

    /// Cancels a pending future and schedules its callbacks.
    /// Python: `cancel(msg=None)`.
    /// - Returns: `true` when the future was pending; `false` when it was
    ///   already done or cancelled (unlike a concurrent future, which answers
    ///   `true` for a cancelled one).
    @discardableResult
    func cancel(message: String?) -> Bool

    /// Schedules `callback` with ``EventLoop/callSoon(_:)`` once the future is
    /// done (at once if it already is); it never runs inline. Callbacks run in
    /// registration order. Python: `add_done_callback`.
    func addDoneCallback(key: DoneCallbackKey?, _ callback: @escaping @Sendable (any AnyLoopFuture) -> Void)

    /// Removes every callback registered under `key` that has not been
    /// scheduled yet. Python: `remove_done_callback(fn)`.
    /// - Returns: How many registrations were removed.
    @discardableResult
    func removeDoneCallback(key: DoneCallbackKey) -> Int
}

extension AnyLoopFuture {
    /// Whether the future is done (finished or cancelled). Python: `done()`.
    public var isDone: Bool { state.isDone }
    /// Whether the future was cancelled. Python: `cancelled()`.
    public var isCancelled: Bool { state.isCancelled }

    /// Cancels the future without a message.
    @discardableResult
    public func cancel() -> Bool { cancel(message: nil) }

    /// Registers a done callback without a key.
    public func addDoneCallback(_ callback: @escaping @Sendable (any AnyLoopFuture) -> Void) {
        addDoneCallback(key: nil, callback)
    }
}

/// A future bound to one event loop, with the semantics of Python's
/// `asyncio.Future`.
///
/// Unlike ``ConcurrentFuture`` it never blocks: reading the outcome before it
/// exists is an error, and callbacks are scheduled on the loop rather than run
/// inline. Use it from the loop's thread; only awaiting ``value`` may happen
/// from outside the loop.
public protocol LoopFuture<Value>: AnyLoopFuture {
    /// The type of the result.
    associatedtype Value: Sendable

    /// The result. Python: `result()`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when not
    ///   done; ``ConcurrencyError/cancelled`` when cancelled; the stored error.
    func result() throws -> Value

    /// Completes the future and schedules its callbacks. Python: `set_result`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when done.
    func setResult(_ value: Value) throws

    /// Completes the future with an error and schedules its callbacks.
    /// Python: `set_exception`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when done.
    func setException(_ error: any Error) throws

    /// Suspends the awaiting task until the future is done, then returns the
    /// result. Python: `await future`.
    ///
    /// A done future returns at once without suspending. When the awaiting
    /// task is cancelled meanwhile, the future is cancelled too (Python's
    /// `Task.cancel` cancels the future the task waits on).
    /// - Throws: The stored error; ``ConcurrencyError/cancelled``;
    ///   ``ConcurrencyError/differentLoop`` when awaited by a task of another
    ///   loop.
    var value: Value { get async throws }
}

/// What every task offers whatever its value type.
public protocol AnyLoopTask: AnyLoopFuture {
    /// The task's name. Python: `get_name()`.
    var name: String { get }
}

/// A loop future that drives an `async` body on its loop, with the semantics
/// of Python's `asyncio.Task`.
///
/// ``AnyLoopFuture/cancel(message:)`` on a task requests cancellation and
/// returns `true` while the task is not done; the body sees
/// ``ConcurrencyError/cancelled`` thrown at its next suspension point on the
/// loop (awaiting a loop future, ``EventLoop/sleep(_:)``…), once. The task is
/// cancelled only when the body lets that error end it; a body that catches it
/// and returns a value finishes normally.
public protocol LoopTask<Value>: LoopFuture, AnyLoopTask {}

extension Error {
    /// Whether the error means "cancelled": ``ConcurrencyError/cancelled`` or
    /// Swift's `CancellationError`.
    public var isCancellation: Bool {
        if let error = self as? ConcurrencyError { return error == .cancelled }
        return self is CancellationError
    }
}

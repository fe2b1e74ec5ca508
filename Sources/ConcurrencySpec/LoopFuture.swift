/// An identifier for a done callback registered on a ``LoopFuture``.
///
/// Swift closures have no identity, so Python's `remove_done_callback(fn)`
/// takes the key under which the callback was registered instead.
public struct DoneCallbackKey: Hashable, Sendable, RawRepresentable {
    public var rawValue: String
    /// Creates a key.
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A future bound to one event loop, with the semantics of Python's
/// `asyncio.Future`.
///
/// Unlike ``ConcurrentFuture`` it never blocks: reading the outcome before it
/// exists is an error, and callbacks are scheduled on the loop rather than run
/// inline. Use it from the loop's thread.
///
/// - Note: First draft, finalized by the loop issue.
public protocol LoopFuture<Value>: AnyObject, Sendable {
    /// The type of the result.
    associatedtype Value: Sendable

    /// The current state (`pending`, `cancelled` or `finished`).
    var state: FutureState { get }

    /// The result. Python: `result()`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when not
    ///   done; ``ConcurrencyError/cancelled`` when cancelled; the stored error.
    func result() throws -> Value

    /// The stored error, or `nil`. Python: `exception()`.
    /// - Throws: As ``result()`` for a pending or cancelled future.
    func exception() throws -> (any Error)?

    /// Completes the future. Python: `set_result`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when done.
    func setResult(_ value: Value) throws

    /// Completes the future with an error. Python: `set_exception`.
    /// - Throws: ``ConcurrencyError/invalidState(operation:state:)`` when done.
    func setException(_ error: any Error) throws

    /// Cancels a pending future and schedules its callbacks.
    /// Python: `cancel(msg=None)`.
    /// - Returns: `true` when the future was pending; `false` when it was
    ///   already done or cancelled.
    @discardableResult
    func cancel(message: String?) -> Bool

    /// Schedules `callback` with `callSoon` once the future is done (at once if
    /// it already is); it never runs inline. Python: `add_done_callback`.
    func addDoneCallback(key: DoneCallbackKey?, _ callback: @escaping @Sendable (Self) -> Void)

    /// Removes every callback registered under `key`. Python:
    /// `remove_done_callback(fn)`.
    /// - Returns: How many registrations were removed.
    func removeDoneCallback(key: DoneCallbackKey) -> Int

    /// Suspends the awaiting task until the future is done. Python: `await
    /// future`.
    /// - Throws: The stored error, or ``ConcurrencyError/cancelled``.
    var value: Value { get async throws }
}

extension LoopFuture {
    /// Whether the future is done. Python: `done()`.
    public var isDone: Bool { state.isDone }
    /// Whether the future was cancelled. Python: `cancelled()`.
    public var isCancelled: Bool { state.isCancelled }
}

/// A loop future that drives an `async` body on its loop, with the semantics
/// of Python's `asyncio.Task`.
///
/// - Note: First draft, finalized by the loop issue.
public protocol LoopTask<Value>: LoopFuture {
    /// The task's name. Python: `get_name()`.
    var name: String { get }

    /// Requests cancellation: the body sees it at its next suspension point.
    /// Python: `Task.cancel(msg=None)`. ``LoopFuture/isCancelled`` becomes
    /// true only once the body has let the cancellation end it.
    /// - Returns: `false` when the task is already done.
    @discardableResult
    func cancel(message: String?) -> Bool
}

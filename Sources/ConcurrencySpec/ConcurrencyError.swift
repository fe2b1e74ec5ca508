/// The errors that the contracts themselves raise.
///
/// One enum plays the part of Python's exception hierarchy, so that a single
/// `catch` handles every conforming implementation alike. Errors thrown by a
/// job are never wrapped in it: they reach the caller unchanged.
///
/// | Case | Python |
/// |---|---|
/// | ``cancelled`` | `concurrent.futures.CancelledError`, `asyncio.CancelledError` |
/// | ``timeout(unfinished:)`` | `TimeoutError` (`concurrent.futures.TimeoutError` is an alias since 3.11) |
/// | ``invalidState(operation:state:)`` | `concurrent.futures.InvalidStateError`, `asyncio.InvalidStateError`, and the `RuntimeError` of a second `set_running_or_notify_cancel` |
/// | ``executorShutDown`` | `RuntimeError('cannot schedule new futures after shutdown')` |
/// | ``brokenExecutor(reason:)`` | `BrokenExecutor`, `BrokenThreadPool`, `BrokenProcessPool` |
/// | ``invalidArgument(_:)`` | `ValueError` (for example `max_workers <= 0`) |
/// | ``unserializable(type:reason:)`` | `pickle.PicklingError` and the unpickling errors of a process pool |
/// | ``loopClosed`` | `RuntimeError('Event loop is closed')` |
/// | ``loopRunning`` | `RuntimeError('This event loop is already running')`, `RuntimeError('Cannot close a running event loop')` |
/// | ``noRunningLoop`` | `RuntimeError('no running event loop')` |
/// | ``differentLoop`` | `RuntimeError('Task got Future attached to a different loop')` |
public enum ConcurrencyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The future or task was cancelled.
    case cancelled
    /// A timed wait ran out. `unfinished` counts the futures still not done
    /// when a wait over several futures gave up, or is `nil` for one future.
    case timeout(unfinished: Int?)
    /// The operation is not allowed in the future's current state.
    case invalidState(operation: FutureOperation, state: FutureState)
    /// Work was submitted to an executor after ``ConcurrentExecutor/shutdown(wait:cancelFutures:)``.
    case executorShutDown
    /// The executor can no longer run work: a worker failed to initialize or
    /// died. Every pending future of that executor fails with this error.
    case brokenExecutor(reason: String)
    /// An argument is out of its allowed range.
    case invalidArgument(String)
    /// A job, its result or its error could not be encoded or decoded on its
    /// way to or from a worker process, or names a job type the worker does
    /// not know. `type` names the Swift type (or the job name) concerned.
    /// Only that call fails; the pool goes on.
    case unserializable(type: String, reason: String)
    /// Work was handed to an event loop after it was closed.
    case loopClosed
    /// The loop (or another loop on the same thread) is already running, so
    /// it cannot be started again or closed.
    case loopRunning
    /// A loop-bound operation was called outside any running loop.
    case noRunningLoop
    /// A task awaited a loop future that belongs to another loop.
    case differentLoop

    /// The case without its payload, for comparisons that ignore details.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case cancelled, timeout, invalidState, executorShutDown, brokenExecutor, invalidArgument, loopClosed
        case loopRunning, noRunningLoop, differentLoop, unserializable
    }

    /// The case without its payload.
    public var kind: Kind {
        switch self {
        case .cancelled: .cancelled
        case .timeout: .timeout
        case .invalidState: .invalidState
        case .executorShutDown: .executorShutDown
        case .brokenExecutor: .brokenExecutor
        case .invalidArgument: .invalidArgument
        case .loopClosed: .loopClosed
        case .loopRunning: .loopRunning
        case .noRunningLoop: .noRunningLoop
        case .differentLoop: .differentLoop
        case .unserializable: .unserializable
        }
    }

    /// The name of the Python exception this error stands for.
    public var pythonName: String {
        switch self {
        case .cancelled: "CancelledError"
        case .timeout: "TimeoutError"
        case .invalidState(operation: .setRunningOrNotifyCancel, _): "RuntimeError"
        case .invalidState: "InvalidStateError"
        case .executorShutDown: "RuntimeError"
        case .brokenExecutor: "BrokenExecutor"
        case .invalidArgument: "ValueError"
        case .loopClosed, .loopRunning, .noRunningLoop, .differentLoop: "RuntimeError"
        case .unserializable: "PicklingError"
        }
    }

    public var description: String {
        switch self {
        case .cancelled:
            "cancelled (CancelledError)"
        case .timeout(let unfinished?):
            "timed out with \(unfinished) future(s) unfinished (TimeoutError)"
        case .timeout(nil):
            "timed out (TimeoutError)"
        case .invalidState(let operation, let state):
            "\(operation) is not allowed in state \(state) (\(pythonName))"
        case .executorShutDown:
            "cannot schedule new futures after shutdown (RuntimeError)"
        case .brokenExecutor(let reason):
            "the executor is broken: \(reason) (BrokenExecutor)"
        case .invalidArgument(let message):
            "\(message) (ValueError)"
        case .loopClosed:
            "the event loop is closed (RuntimeError)"
        case .loopRunning:
            "the event loop is already running (RuntimeError)"
        case .noRunningLoop:
            "no running event loop (RuntimeError)"
        case .differentLoop:
            "the future is attached to a different loop (RuntimeError)"
        case .unserializable(let type, let reason):
            "\(type) cannot cross the process boundary: \(reason) (PicklingError)"
        }
    }
}

/// The life-cycle state of a future.
///
/// A future moves `pending → running → finished` or `pending → cancelled`, and
/// never leaves a done state. The names are those of CPython's
/// `concurrent.futures._base` constants (`PENDING`, `RUNNING`, `CANCELLED`,
/// `CANCELLED_AND_NOTIFIED`, `FINISHED`), which Python keeps private; Swift
/// exposes them so that a conformance check can see every transition.
public enum FutureState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Created, not started, not cancelled. Python: `PENDING`.
    case pending
    /// The executor has started the call. Python: `RUNNING`.
    case running
    /// Cancelled, and the executor has not yet acknowledged it through
    /// ``ConcurrentFuture/setRunningOrNotifyCancel()``. Python: `CANCELLED`.
    case cancelled
    /// Cancelled, and the executor has acknowledged it. Python:
    /// `CANCELLED_AND_NOTIFIED`.
    case cancelledAndNotified
    /// Completed with a result or an error. Python: `FINISHED`.
    case finished

    /// Whether the future is done: finished or cancelled (either kind).
    public var isDone: Bool {
        switch self {
        case .pending, .running: false
        case .cancelled, .cancelledAndNotified, .finished: true
        }
    }

    /// Whether the future was cancelled, acknowledged or not.
    public var isCancelled: Bool {
        switch self {
        case .cancelled, .cancelledAndNotified: true
        case .pending, .running, .finished: false
        }
    }

    /// Python's spelling of the state, as `repr(future)` prints it.
    public var pythonName: String {
        switch self {
        case .pending: "PENDING"
        case .running: "RUNNING"
        case .cancelled: "CANCELLED"
        case .cancelledAndNotified: "CANCELLED_AND_NOTIFIED"
        case .finished: "FINISHED"
        }
    }

    public var description: String { pythonName }
}

/// An operation on a future that can be refused because of the future's state.
///
/// Carried by ``ConcurrencyError/invalidState(operation:state:)`` so that a
/// refusal says what was attempted, the way Python's `InvalidStateError`
/// message names the future and its state. A struct rather than an enum so
/// that later contracts can add operations without breaking adopters' code.
public struct FutureOperation: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    /// Creates an operation from its name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// ``ConcurrentFuture/setResult(_:)``. Python: `set_result`.
    public static let setResult = FutureOperation(rawValue: "setResult")
    /// ``ConcurrentFuture/setException(_:)``. Python: `set_exception`.
    public static let setException = FutureOperation(rawValue: "setException")
    /// ``ConcurrentFuture/setRunningOrNotifyCancel()``. Python:
    /// `set_running_or_notify_cancel`.
    public static let setRunningOrNotifyCancel = FutureOperation(rawValue: "setRunningOrNotifyCancel")
    /// Reading the result of a loop future that is not done. Python:
    /// `asyncio.Future.result`.
    public static let result = FutureOperation(rawValue: "result")
    /// Reading the error of a loop future that is not done. Python:
    /// `asyncio.Future.exception`.
    public static let exception = FutureOperation(rawValue: "exception")

    public var description: String { rawValue }
}

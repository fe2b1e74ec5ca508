import ConcurrencySpec

/// Every state and transition of a ``Future`` in one value type.
///
/// Each operation is one `switch` over the phase, so an illegal transition is
/// a visible `case` rather than a forgotten flag. The machine decides; the
/// future acts on the decision (runs callbacks, wakes waiters) outside the
/// lock.
struct FutureStateMachine<Value: Sendable, Callback> {
    enum Phase {
        case pending
        case running
        case cancelled
        case cancelledAndNotified
        case finished(Result<Value, any Error>)
    }

    private(set) var phase: Phase = .pending
    /// Callbacks registered while not done; emptied by the transition to done,
    /// so each runs once.
    private var callbacks: [Callback] = []

    var state: FutureState {
        switch phase {
        case .pending: .pending
        case .running: .running
        case .cancelled: .cancelled
        case .cancelledAndNotified: .cancelledAndNotified
        case .finished: .finished
        }
    }

    enum CancelDecision {
        /// Newly cancelled: run these callbacks and wake the waiters.
        case cancelled(runCallbacks: [Callback])
        /// Already cancelled: report success again, do nothing.
        case alreadyCancelled
        /// Running or finished: report failure, change nothing.
        case refused
    }

    mutating func cancel() -> CancelDecision {
        switch phase {
        case .pending:
            phase = .cancelled
            return .cancelled(runCallbacks: takeCallbacks())
        case .cancelled, .cancelledAndNotified:
            return .alreadyCancelled
        case .running, .finished:
            return .refused
        }
    }

    mutating func setRunningOrNotifyCancel() -> Result<Bool, ConcurrencyError> {
        switch phase {
        case .pending:
            phase = .running
            return .success(true)
        case .cancelled:
            phase = .cancelledAndNotified
            return .success(false)
        case .running, .cancelledAndNotified, .finished:
            return .failure(.invalidState(operation: .setRunningOrNotifyCancel, state: state))
        }
    }

    enum CompleteDecision {
        case completed(runCallbacks: [Callback])
        case refused(ConcurrencyError)
    }

    /// Python allows `set_result` on a pending future that never ran, so
    /// `pending → finished` is legal as well as `running → finished`.
    mutating func complete(
        with outcome: Result<Value, any Error>,
        operation: FutureOperation
    ) -> CompleteDecision {
        switch phase {
        case .pending, .running:
            phase = .finished(outcome)
            return .completed(runCallbacks: takeCallbacks())
        case .cancelled, .cancelledAndNotified, .finished:
            return .refused(.invalidState(operation: operation, state: state))
        }
    }

    enum AddCallbackDecision {
        case stored
        case runNow
    }

    mutating func addCallback(_ callback: Callback) -> AddCallbackDecision {
        switch phase {
        case .pending, .running:
            callbacks.append(callback)
            return .stored
        case .cancelled, .cancelledAndNotified, .finished:
            return .runNow
        }
    }

    enum Reading {
        case outcome(Result<Value, any Error>)
        case cancelled
        case notDone
    }

    var reading: Reading {
        switch phase {
        case .pending, .running: .notDone
        case .cancelled, .cancelledAndNotified: .cancelled
        case .finished(let outcome): .outcome(outcome)
        }
    }

    private mutating func takeCallbacks() -> [Callback] {
        defer { callbacks = [] }
        return callbacks
    }
}

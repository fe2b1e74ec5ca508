import ConcurrencyPrimitives
import ConcurrencySpec
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The error a mutant wraps a job's error in.
struct WrappedError: Error {
    let underlying: any Error
}

/// A second, independent implementation of the future, written the plain way
/// (fields and flags rather than a state machine) so that it shares no code
/// with the reference. With no defect it passes every clause; each defect
/// breaks exactly one documented rule.
final class MutantFuture<Value: Sendable>: ConcurrentFuture {
    typealias Callback = @Sendable (MutantFuture<Value>) throws -> Void

    private struct Fields {
        var state: FutureState = .pending
        var outcome: Result<Value, any Error>?
        var callbacks: [Callback] = []
    }

    private let defect: FutureDefect?
    private let fields = ConditionLock(Fields())

    init(defect: FutureDefect?) {
        self.defect = defect
    }

    var state: FutureState { fields.withLock { $0.state } }

    var isRunning: Bool {
        defect == .runningWhilePending ? !state.isDone : state == .running
    }

    func cancel() -> Bool {
        let (answer, callbacks): (Bool, [Callback]) = fields.withLock { fields in
            switch fields.state {
            case .pending:
                fields.state = .cancelled
                return (true, defect == .cancelSkipsCallbacks ? [] : takeCallbacks(&fields))
            case .running where defect == .cancelWhileRunning:
                fields.state = .cancelled
                return (true, takeCallbacks(&fields))
            case .cancelled, .cancelledAndNotified:
                if defect == .cancelNotIdempotent { return (false, []) }
                return (true, defect == .callbacksRerun ? fields.callbacks : [])
            case .running, .finished:
                return (false, [])
            }
        }
        if answer { wakeReaders() }
        run(callbacks)
        return answer
    }

    func result(timeout: Duration?) throws -> Value {
        try outcome(timeout: timeout).get()
    }

    func exception(timeout: Duration?) throws -> (any Error)? {
        switch try outcome(timeout: timeout) {
        case .success: nil
        case .failure(let error): error
        }
    }

    func addDoneCallback(_ callback: @escaping Callback) {
        let runNow = fields.withLock { fields -> Bool in
            if fields.state.isDone { return true }
            fields.callbacks.append(callback)
            return false
        }
        if runNow && defect != .lateCallbackDropped { run([callback], late: true) }
    }

    func setRunningOrNotifyCancel() throws -> Bool {
        try fields.withLock { fields in
            switch fields.state {
            case .pending:
                fields.state = .running
                return true
            case .cancelled:
                fields.state = .cancelledAndNotified
                return false
            case .running where defect == .setRunningTwice:
                return true
            default:
                throw refusal(.setRunningOrNotifyCancel, fields.state)
            }
        }
    }

    func setResult(_ value: Value) throws {
        try complete(.success(value), .setResult)
    }

    func setException(_ error: any Error) throws {
        try complete(.failure(error), .setException)
    }

    // MARK: Internals

    private func complete(_ outcome: Result<Value, any Error>, _ operation: FutureOperation) throws {
        let callbacks: [Callback]
        switch defect {
        case .racyCompletion:
            let refused = fields.withLock { $0.state.isDone ? $0.state : nil }
            if let refused { throw refusal(operation, refused) }
            usleep(200)
            callbacks = fields.withLock { fields in
                fields.state = .finished
                fields.outcome = outcome
                return takeCallbacks(&fields)
            }
        case .publishesBeforeValue:
            try fields.withLock { fields in
                if fields.state.isDone { throw refusal(operation, fields.state) }
                fields.state = .finished
            }
            usleep(100)
            callbacks = fields.withLock { fields in
                fields.outcome = outcome
                return takeCallbacks(&fields)
            }
        case .callbacksBeforeDone:
            let early = try fields.withLock { fields in
                if fields.state.isDone { throw refusal(operation, fields.state) }
                return takeCallbacks(&fields)
            }
            run(early)
            fields.withLock { fields in
                fields.state = .finished
                fields.outcome = outcome
            }
            callbacks = []
        default:
            callbacks = try fields.withLock { fields in
                if fields.state == .finished && defect == .secondSetOverwrites {
                    fields.outcome = outcome
                    return []
                }
                if fields.state.isDone { throw refusal(operation, fields.state) }
                fields.state = .finished
                fields.outcome = outcome
                return takeCallbacks(&fields)
            }
        }
        wakeReaders()
        run(callbacks)
    }

    private func outcome(timeout: Duration?) throws -> Result<Value, any Error> {
        if defect == .resultBlocksForever {
            fields.wait(until: { _ in false }, deadline: nil) { _, _ in }
        }
        var deadline = timeout.map(MonotonicInstant.after)
        if defect == .timeoutUnitConfusion, let timeout {
            deadline = .after(timeout / 1000)
        }
        let isCancelled = fields.withLock { $0.state.isCancelled }
        if isCancelled && defect == .cancelledResultWaits {
            fields.wait(until: { _ in false }, deadline: deadline) { _, _ in }
            throw ConcurrencyError.timeout(unfinished: nil)
        }
        if defect == .resultDoesNotBlock {
            let state = fields.withLock { $0.state }
            if !state.isDone { throw ConcurrencyError.invalidState(operation: .result, state: state) }
        }
        let (state, outcome) = fields.wait(until: { $0.state.isDone }, deadline: deadline) { fields, _ in
            (fields.state, fields.outcome)
        }
        if state.isCancelled { throw ConcurrencyError.cancelled }
        // Not done, or (with publishesBeforeValue) done without an outcome yet.
        guard let outcome else { throw ConcurrencyError.timeout(unfinished: nil) }
        if defect == .errorWrapped, case .failure(let error) = outcome {
            return .failure(WrappedError(underlying: error))
        }
        return outcome
    }

    private func takeCallbacks(_ fields: inout Fields) -> [Callback] {
        defer { if defect != .callbacksRerun { fields.callbacks = [] } }
        return fields.callbacks
    }

    private func wakeReaders() {
        if defect == .lostWakeup { fields.signal() } else { fields.broadcast() }
    }

    private func run(_ callbacks: [Callback], late: Bool = false) {
        let ordered = defect == .callbacksLIFO ? callbacks.reversed() : callbacks
        if defect == .callbacksOnAnotherThread && !late {
            DispatchQueue.global().async { self.invoke(ordered) }
        } else {
            invoke(ordered)
        }
    }

    private func invoke(_ callbacks: [Callback]) {
        for callback in callbacks {
            do {
                try callback(self)
            } catch {
                if defect == .throwingCallbackStopsOthers { return }
            }
        }
    }

    private func refusal(_ operation: FutureOperation, _ state: FutureState) -> ConcurrencyError {
        defect == .vagueInvalidState
            ? .invalidState(operation: .setResult, state: .pending)
            : .invalidState(operation: operation, state: state)
    }
}

import ConcurrencyPrimitives
import ConcurrencySpec

/// The state and callbacks of a mutant loop future, shared by
/// ``MutantLoopFuture`` and ``MutantLoopTask``.
///
/// `owner` parameters carry the public face (the future or the task), which
/// is what done callbacks receive and what a suspended task records as the
/// future it waits on, so that cancelling a task waiting on a task reaches the
/// inner task's own `cancel`.
final class FutureCore<Value: Sendable>: Sendable {
    enum Registration {
        /// A done callback, scheduled with callSoon.
        case callback(key: DoneCallbackKey?, @Sendable (any AnyLoopFuture) -> Void)
        /// A task awaiting the future, woken in the same order.
        case wakeup(ResumeOnce)

        var key: DoneCallbackKey? {
            if case .callback(let key, _) = self { key } else { nil }
        }
    }

    struct Fields {
        var state: FutureState = .pending
        var outcome: Result<Value, any Error>?
        var registrations: [Registration] = []
    }

    let loop: MutantLoop
    private let fields = ConditionLock(Fields())

    init(loop: MutantLoop) { self.loop = loop }

    private var defect: LoopDefect? { loop.defect }

    var state: FutureState { fields.withLock { $0.state } }

    func result() throws -> Value {
        let (state, outcome) = fields.withLock { ($0.state, $0.outcome) }
        try refuseUnlessFinished(state, .result)
        // Finished, so there is an outcome.
        return try outcome!.get()
    }

    func exception() throws -> (any Error)? {
        let (state, outcome) = fields.withLock { ($0.state, $0.outcome) }
        try refuseUnlessFinished(state, .exception)
        if case .failure(let error) = outcome { return error }
        return nil
    }

    private func refuseUnlessFinished(_ state: FutureState, _ operation: FutureOperation) throws {
        switch state {
        case .pending, .running:
            if defect == .pendingResultNotRefused { throw ConcurrencyError.timeout(unfinished: nil) }
            throw ConcurrencyError.invalidState(operation: operation, state: state)
        case .cancelled, .cancelledAndNotified:
            if defect == .cancelledResultInvalidState {
                throw ConcurrencyError.invalidState(operation: operation, state: state)
            }
            throw ConcurrencyError.cancelled
        case .finished:
            return
        }
    }

    func complete(_ outcome: Result<Value, any Error>, _ operation: FutureOperation, owner: any AnyLoopFuture) throws {
        let registrations = try fields.withLock { fields -> [Registration] in
            if fields.state.isDone {
                guard defect == .setTwiceOverwrites else {
                    throw ConcurrencyError.invalidState(operation: operation, state: fields.state)
                }
                fields.state = .finished
                fields.outcome = outcome
                return []
            }
            fields.state = .finished
            fields.outcome = outcome
            defer { fields.registrations = [] }
            return fields.registrations
        }
        schedule(registrations, owner: owner)
    }

    /// Cancels a pending future; `false` when it was already done.
    func cancel(owner: any AnyLoopFuture) -> Bool {
        let registrations = fields.withLock { fields -> [Registration]? in
            guard fields.state == .pending else { return nil }
            fields.state = .cancelled
            defer { fields.registrations = [] }
            return fields.registrations
        }
        guard let registrations else { return defect == .cancelDoneReturnsTrue }
        schedule(registrations, owner: owner)
        return true
    }

    func addDoneCallback(
        key: DoneCallbackKey?,
        _ callback: @escaping @Sendable (any AnyLoopFuture) -> Void,
        owner: any AnyLoopFuture
    ) {
        let isDone = fields.withLock { fields -> Bool in
            if fields.state.isDone { return true }
            fields.registrations.append(.callback(key: key, callback))
            return false
        }
        if isDone { schedule([.callback(key: key, callback)], owner: owner) }
    }

    func removeDoneCallback(key: DoneCallbackKey) -> Int {
        fields.withLock { fields in
            if defect == .removeCallbackRemovesOne {
                guard let index = fields.registrations.firstIndex(where: { $0.key == key }) else { return 0 }
                fields.registrations.remove(at: index)
                return 1
            }
            let before = fields.registrations.count
            fields.registrations.removeAll { $0.key == key }
            return before - fields.registrations.count
        }
    }

    /// Schedules callbacks and wake-ups on the loop, in registration order,
    /// never inline (Python: `Future.__schedule_callbacks`).
    private func schedule(_ registrations: [Registration], owner: any AnyLoopFuture) {
        var ordered = registrations
        if defect == .awaitersBeforeCallbacks {
            ordered = registrations.filter { !$0.isCallback } + registrations.filter(\.isCallback)
        }
        for registration in ordered {
            switch registration {
            case .callback(_, let callback):
                if defect == .futureCallbacksInline {
                    callback(owner)
                } else {
                    // A closed loop drops done callbacks, as it drops every
                    // other callback.
                    _ = try? loop.callSoon { callback(owner) }
                }
            case .wakeup(let resume):
                loop.scheduleWakeup(resume)
            }
        }
    }

    /// `await future`: returns at once when done; otherwise suspends the
    /// awaiting task until the future's callbacks wake it.
    func awaitValue(owner: any AnyLoopFuture) async throws -> Value {
        if state.isDone { return try result() }
        let awaiting = MutantTaskContext.current
        // The defect of either side lets a foreign await through: the kit
        // makes both loops from one factory, but a mixed pair stays broken.
        if defect != .foreignAwaitAccepted && awaiting?.loop.defect != .foreignAwaitAccepted {
            if let awaiting {
                if awaiting.loop !== loop { throw ConcurrencyError.differentLoop }
            } else if let running = LoopContext.loop, running !== loop {
                throw ConcurrencyError.differentLoop
            }
        }
        // Only a task of this loop has asyncio's cancellation bookkeeping;
        // any other awaiter simply waits.
        let control = awaiting?.loop === loop ? awaiting?.control : nil
        let resume = ResumeOnce()
        do {
            try await withUnsafeThrowingContinuation { continuation in
                resume.install(continuation)
                control?.suspend(on: owner, resume)
                let isDone = fields.withLock { fields -> Bool in
                    if fields.state.isDone { return true }
                    fields.registrations.append(.wakeup(resume))
                    return false
                }
                if isDone { loop.scheduleWakeup(resume) }
                // Python's Task.__step: a task that yields a future while a
                // cancellation is pending cancels that future at once.
                if let control, control.mustCancel, owner.cancel() { _ = control.takeMustCancel() }
            }
        } catch {
            // Resumed with a cancellation by close().
            control?.resumed()
            throw error
        }
        control?.resumed()
        if let control, control.takeMustCancel() { throw ConcurrencyError.cancelled }
        return try result()
    }
}

extension FutureCore.Registration {
    fileprivate var isCallback: Bool {
        if case .callback = self { true } else { false }
    }
}

/// A future bound to a ``MutantLoop``.
final class MutantLoopFuture<Value: Sendable>: LoopFuture {
    let core: FutureCore<Value>

    init(loop: MutantLoop) { core = FutureCore(loop: loop) }

    var loop: any EventLoop { core.loop }
    var state: FutureState { core.state }

    func result() throws -> Value { try core.result() }
    func exception() throws -> (any Error)? { try core.exception() }
    func setResult(_ value: Value) throws { try core.complete(.success(value), .setResult, owner: self) }
    func setException(_ error: any Error) throws { try core.complete(.failure(error), .setException, owner: self) }

    @discardableResult
    func cancel(message: String?) -> Bool { core.cancel(owner: self) }

    func addDoneCallback(key: DoneCallbackKey?, _ callback: @escaping @Sendable (any AnyLoopFuture) -> Void) {
        core.addDoneCallback(key: key, callback, owner: self)
    }

    @discardableResult
    func removeDoneCallback(key: DoneCallbackKey) -> Int { core.removeDoneCallback(key: key) }

    var value: Value {
        get async throws { try await core.awaitValue(owner: self) }
    }
}

/// A task of a ``MutantLoop``: a future completed by its body.
final class MutantLoopTask<Value: Sendable>: LoopTask {
    let core: FutureCore<Value>
    let control = TaskControl()
    let name: String

    init(loop: MutantLoop, name: String) {
        core = FutureCore(loop: loop)
        self.name = name
    }

    private var mutantLoop: MutantLoop { core.loop }

    var loop: any EventLoop { core.loop }

    var state: FutureState {
        let state = core.state
        if mutantLoop.defect == .cancelMarksAtOnce && state == .pending && control.cancelRequested { return .cancelled }
        return state
    }

    func result() throws -> Value { try core.result() }
    func exception() throws -> (any Error)? { try core.exception() }

    /// Only the body completes a task (Python: `Task.set_result` raises).
    func setResult(_ value: Value) throws {
        throw ConcurrencyError.invalidState(operation: .setResult, state: state)
    }

    /// Only the body completes a task (Python: `Task.set_exception` raises).
    func setException(_ error: any Error) throws {
        throw ConcurrencyError.invalidState(operation: .setException, state: state)
    }

    /// Python's `Task.cancel`: cancel the future the task waits on, or else
    /// leave a cancellation for its next step.
    @discardableResult
    func cancel(message: String?) -> Bool {
        if core.state.isDone { return mutantLoop.defect == .cancelDoneReturnsTrue }
        if mutantLoop.ignoresCancel(of: self) { return true }
        let waitingOn = control.requestCancel()
        if let waitingOn, waitingOn.cancel(message: message) { return true }
        control.setMustCancel()
        return true
    }

    func addDoneCallback(key: DoneCallbackKey?, _ callback: @escaping @Sendable (any AnyLoopFuture) -> Void) {
        core.addDoneCallback(key: key, callback, owner: self)
    }

    @discardableResult
    func removeDoneCallback(key: DoneCallbackKey) -> Int { core.removeDoneCallback(key: key) }

    var value: Value {
        get async throws { try await core.awaitValue(owner: self) }
    }

    /// Runs the body on the loop and completes the task with its outcome.
    func run(_ body: @Sendable () async throws -> Value, after gate: (any AnyLoopTask)?) async {
        if let gate {
            // tasksRunSerially: wait, outside asyncio's bookkeeping, until
            // the previous task is done.
            await withUnsafeContinuation { continuation in
                gate.addDoneCallback { _ in continuation.resume() }
            }
        }
        let outcome: Result<Value, any Error>
        if mutantLoop.defect != .cancelledBeforeStartRuns && control.takeMustCancel() {
            // Cancelled before its first step: the body never runs.
            outcome = .failure(ConcurrencyError.cancelled)
        } else {
            do {
                outcome = .success(try await body())
            } catch {
                outcome = .failure(error)
            }
        }
        finish(outcome)
    }

    private func finish(_ outcome: Result<Value, any Error>) {
        let defect = mutantLoop.defect
        mutantLoop.taskFinished(self)
        switch outcome {
        case .success(let value):
            // Python: a cancellation requested during the last step, which
            // the body never met, still cancels the task.
            let unmetCancel = control.takeMustCancel()
            if unmetCancel || (defect == .swallowedCancelStillCancelled && control.cancelRequested) {
                _ = core.cancel(owner: self)
            } else {
                try? core.complete(.success(value), .setResult, owner: self)
            }
        case .failure(let error) where error.isCancellation:
            _ = core.cancel(owner: self)
        case .failure(let error):
            let stored: any Error = defect == .taskErrorWrapped ? WrappedError(underlying: error) : error
            try? core.complete(.failure(stored), .setException, owner: self)
        }
    }
}

/// A task's cancellation bookkeeping: Python's `_must_cancel` and
/// `_fut_waiter`, plus the suspension that close() resumes.
final class TaskControl: Sendable {
    private struct Fields {
        var mustCancel = false
        var cancelRequested = false
        var waitingOn: (any AnyLoopFuture)?
        var resume: ResumeOnce?
    }

    private let fields = ConditionLock(Fields())

    var mustCancel: Bool { fields.withLock { $0.mustCancel } }
    var cancelRequested: Bool { fields.withLock { $0.cancelRequested } }

    /// Consumes a pending cancellation: it is delivered exactly once.
    func takeMustCancel() -> Bool {
        fields.withLock { fields in
            defer { fields.mustCancel = false }
            return fields.mustCancel
        }
    }

    func setMustCancel() { fields.withLock { $0.mustCancel = true } }

    /// Records a cancel request; returns the future the task waits on.
    func requestCancel() -> (any AnyLoopFuture)? {
        fields.withLock { fields in
            fields.cancelRequested = true
            return fields.waitingOn
        }
    }

    func suspend(on future: any AnyLoopFuture, _ resume: ResumeOnce) {
        fields.withLock { fields in
            fields.waitingOn = future
            fields.resume = resume
        }
    }

    func resumed() {
        fields.withLock { fields in
            fields.waitingOn = nil
            fields.resume = nil
        }
    }

    /// The loop is closing: resume a suspended task with the cancellation,
    /// or leave it for the task's next step.
    func abandon() {
        let resume = fields.withLock { fields -> ResumeOnce? in
            if fields.resume == nil { fields.mustCancel = true }
            return fields.resume
        }
        resume?.resume(.failure(ConcurrencyError.cancelled))
    }
}

/// A continuation resumed at most once, whoever gets there first (the
/// future's wake-up or close()).
final class ResumeOnce: Sendable {
    private let slot = ConditionLock<UnsafeContinuation<Void, any Error>?>(nil)

    func install(_ continuation: UnsafeContinuation<Void, any Error>) {
        slot.withLock { $0 = continuation }
    }

    func resume(_ result: Result<Void, any Error>) {
        let continuation = slot.withLock { slot in
            defer { slot = nil }
            return slot
        }
        continuation?.resume(with: result)
    }
}

/// The mutant task whose step is running, bound around every task body.
struct MutantTaskReference: Sendable {
    let loop: MutantLoop
    let task: any AnyLoopTask
    let control: TaskControl
}

enum MutantTaskContext {
    /// The mutant loop task running the current Swift task, if any.
    @TaskLocal static var current: MutantTaskReference?
}

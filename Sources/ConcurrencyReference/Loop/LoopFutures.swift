import ConcurrencyPrimitives
import ConcurrencySpec
import Synchronization

/// The reference loop future: Python's `asyncio.Future`.
///
/// `@unchecked Sendable`: the only mutable field, `coreState`, is touched
/// only inside `core(_:)`, between the acquiring and releasing operations of
/// `spin`; the rest are `let`s of Sendable types. (Unchecked also because the
/// class is not final: ``SerialLoopTask`` refines it.) The lock is a spin
/// lock because it is uncontended in practice, loop futures being used from
/// the loop's thread, and because a pthread mutex would cost three
/// allocations per future.
class SerialLoopFuture<Value: Sendable>: LoopFuture, @unchecked Sendable {
    enum Phase {
        case pending
        case cancelled
        case finished(Result<Value, any Error>)
    }

    struct Core {
        var phase = Phase.pending
        var callbacks: [(key: DoneCallbackKey?, body: @Sendable (any AnyLoopFuture) -> Void)] = []
    }

    let owner: SerialEventLoop
    private let spin = SpinLock()
    @exclusivity(unchecked) private var coreState = Core()

    /// Runs `body` on the state under the lock.
    final func core<Result>(_ body: (inout Core) throws -> Result) rethrows -> Result {
        spin.lock()
        defer { spin.unlock() }
        return try body(&coreState)
    }

    init(loop: SerialEventLoop) {
        owner = loop
    }

    var loop: any EventLoop { owner }

    var state: FutureState {
        switch core({ $0.phase }) {
        case .pending: .pending
        case .cancelled: .cancelled
        case .finished: .finished
        }
    }

    func result() throws -> Value {
        switch core({ $0.phase }) {
        case .pending: throw ConcurrencyError.invalidState(operation: .result, state: .pending)
        case .cancelled: throw ConcurrencyError.cancelled
        case .finished(let outcome): return try outcome.get()
        }
    }

    func exception() throws -> (any Error)? {
        switch core({ $0.phase }) {
        case .pending: throw ConcurrencyError.invalidState(operation: .exception, state: .pending)
        case .cancelled: throw ConcurrencyError.cancelled
        case .finished(.success): return nil
        case .finished(.failure(let error)): return error
        }
    }

    func setResult(_ value: Value) throws {
        try complete(.success(value), operation: .setResult)
    }

    func setException(_ error: any Error) throws {
        try complete(.failure(error), operation: .setException)
    }

    func cancel(message: String?) -> Bool {
        markCancelled()
    }

    /// Moves a pending future to `cancelled` and schedules its callbacks.
    final func markCancelled() -> Bool {
        let callbacks = core { core -> [(key: DoneCallbackKey?, body: @Sendable (any AnyLoopFuture) -> Void)]? in
            guard case .pending = core.phase else { return nil }
            core.phase = .cancelled
            defer { core.callbacks = [] }
            return core.callbacks
        }
        guard let callbacks else { return false }
        schedule(callbacks)
        return true
    }

    /// Stores the outcome of a pending future and schedules its callbacks.
    final func complete(_ outcome: Result<Value, any Error>, operation: FutureOperation) throws {
        let callbacks = try core { core in
            guard case .pending = core.phase else {
                throw ConcurrencyError.invalidState(operation: operation, state: core.phase.state)
            }
            core.phase = .finished(outcome)
            defer { core.callbacks = [] }
            return core.callbacks
        }
        schedule(callbacks)
    }

    func addDoneCallback(key: DoneCallbackKey?, _ callback: @escaping @Sendable (any AnyLoopFuture) -> Void) {
        let alreadyDone = core { core -> Bool in
            guard case .pending = core.phase else { return true }
            core.callbacks.append((key, callback))
            return false
        }
        if alreadyDone { schedule([(key, callback)]) }
    }

    func removeDoneCallback(key: DoneCallbackKey) -> Int {
        core { core in
            let before = core.callbacks.count
            core.callbacks.removeAll { $0.key == key }
            return before - core.callbacks.count
        }
    }

    /// Python's `__schedule_callbacks`: each callback goes through `call_soon`,
    /// in registration order. On a closed loop they are dropped, as CPython's
    /// `call_soon` would refuse them.
    private func schedule(_ callbacks: [(key: DoneCallbackKey?, body: @Sendable (any AnyLoopFuture) -> Void)]) {
        for callback in callbacks {
            owner.scheduleInternal { [self] in callback.body(self) }
        }
    }

    var value: Value {
        get async throws {
            if let outcome = doneOutcome { return try outcome.get() }
            if let running = LoopContext.loop, running !== owner {
                throw ConcurrencyError.differentLoop
            }
            let control = owner.currentControl
            try await owner.suspend(control) { wakeUp in
                control?.beginWaiting(on: self)
                addDoneCallback(key: nil) { _ in wakeUp() }
                // A cancellation requested while the task was running is
                // delivered through the future it now waits on, as CPython's
                // Task.__step does with _must_cancel.
                if let control, control.takeMustCancel() {
                    if !self.cancel(message: nil) { control.setMustCancel() }
                }
            }
            return try result()
        }
    }

    /// The outcome as `result()` would give it, or `nil` while pending.
    private var doneOutcome: Result<Value, any Error>? {
        switch core({ $0.phase }) {
        case .pending: nil
        case .cancelled: .failure(ConcurrencyError.cancelled)
        case .finished(let outcome): outcome
        }
    }
}

extension SerialLoopFuture.Phase {
    var state: FutureState {
        switch self {
        case .pending: .pending
        case .cancelled: .cancelled
        case .finished: .finished
        }
    }
}

/// What a task's body needs from its task while it runs: cancellation
/// requests and the suspension it is parked in. Not generic, so that a
/// task-local can carry it.
final class TaskControl: Sendable {
    private struct State {
        var mustCancel = false
        var waitingOn: (any AnyLoopFuture)?
        var suspension: Suspension?
        var abandoned = false
    }

    // A spin lock, not a pthread mutex: uncontended, and no allocation.
    private let spin = SpinLock()
    // Sendable despite the `var`: touched only inside `withLock`, between
    // spin.lock() and spin.unlock().
    nonisolated(unsafe) private var lockedState = State()

    private func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        spin.lock()
        defer { spin.unlock() }
        return try body(&lockedState)
    }

    func beginWaiting(on future: any AnyLoopFuture) {
        withLock { $0.waitingOn = future }
    }

    /// Records the suspension the body is parked in; `false` when the loop
    /// was closed meanwhile, so the body must not park.
    func park(_ suspension: Suspension) -> Bool {
        withLock { state in
            guard !state.abandoned else { return false }
            state.suspension = suspension
            return true
        }
    }

    /// Ends a wait: the error to resume the body with, if a cancellation is
    /// due.
    func endWait(_ suspension: Suspension) -> (any Error)? {
        withLock { state in
            if state.suspension === suspension { state.suspension = nil }
            state.waitingOn = nil
            if state.abandoned { return ConcurrencyError.cancelled }
            guard state.mustCancel else { return nil }
            state.mustCancel = false
            return ConcurrencyError.cancelled
        }
    }

    /// The loop future the body waits on, which a cancellation cancels
    /// first, as CPython's `Task.cancel` does.
    var awaitedFuture: (any AnyLoopFuture)? {
        withLock { $0.waitingOn }
    }

    func setMustCancel() {
        withLock { $0.mustCancel = true }
    }

    /// Consumes a pending cancellation request: at the body's start and end,
    /// and when it starts waiting.
    func takeMustCancel() -> Bool {
        withLock { state in
            defer { state.mustCancel = false }
            return state.mustCancel
        }
    }

    var isAbandoned: Bool { withLock { $0.abandoned } }

    /// For `close()`: the body will never run on the loop again, so wake it
    /// with a cancellation wherever it is parked, and make every later
    /// suspension fail at once.
    func abandon() {
        let parked = withLock { state -> Suspension? in
            state.abandoned = true
            defer { state.suspension = nil }
            return state.suspension
        }
        parked?.resume(throwing: ConcurrencyError.cancelled)
    }
}

/// A parked task body: the continuation, resumed at most once by whichever
/// comes first (its wake-up callback or the loop's close).
final class Suspension: Sendable {
    private let continuation: UnsafeContinuation<Void, any Error>
    private let resumed = Atomic<Bool>(false)

    init(_ continuation: UnsafeContinuation<Void, any Error>) {
        self.continuation = continuation
    }

    func resume(throwing error: (any Error)?) {
        guard !resumed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let error {
            continuation.resume(throwing: error)
        } else {
            continuation.resume()
        }
    }
}

/// What the loop needs from a task whatever its value type.
protocol SerialLoopTaskProtocol: AnyLoopTask {
    var control: TaskControl { get }
    var owner: SerialEventLoop { get }
}

enum CurrentLoopTask {
    /// The task whose body is running.
    @TaskLocal static var task: (any SerialLoopTaskProtocol)?
}

/// The reference task: Python's `asyncio.Task`, driving an ordinary Swift
/// `async` body on the loop through task-executor preference.
final class SerialLoopTask<Value: Sendable>: SerialLoopFuture<Value>, LoopTask, SerialLoopTaskProtocol, @unchecked Sendable {
    let name: String
    let control = TaskControl()

    init(loop: SerialEventLoop, name: String) {
        self.name = name
        super.init(loop: loop)
    }

    /// Python's `Task.cancel`: returns `true` while the task is not done;
    /// the task is cancelled only once its body lets the cancellation end it.
    override func cancel(message: String?) -> Bool {
        guard !isDone else { return false }
        if let waitingOn = control.awaitedFuture, waitingOn.cancel(message: message) {
            return true
        }
        control.setMustCancel()
        return true
    }

    /// Tasks complete only through their body. Python: `Task.set_result`
    /// raises `RuntimeError`.
    override func setResult(_ value: Value) throws {
        throw ConcurrencyError.invalidState(operation: .setResult, state: state)
    }

    override func setException(_ error: any Error) throws {
        throw ConcurrencyError.invalidState(operation: .setException, state: state)
    }

    /// Runs the body on the loop; called once, from `createTask`.
    func start(_ body: @escaping @Sendable () async throws -> Value) {
        let loop = owner
        Task(executorPreference: loop) {
            await LoopContext.$loop.withValue(loop) {
                await CurrentLoopTask.$task.withValue(self) {
                    await self.runBody(body)
                }
            }
        }
    }

    private func runBody(_ body: @escaping @Sendable () async throws -> Value) async {
        defer { owner.taskEnded(self) }
        // Cancelled before its first step: the body never runs (TASK-010).
        if control.takeMustCancel() || control.isAbandoned {
            _ = markCancelled()
            return
        }
        do {
            let value = try await body()
            // Cancelled right before the body returned: CPython cancels.
            if control.takeMustCancel() {
                _ = markCancelled()
            } else {
                try? complete(.success(value), operation: .setResult)
            }
        } catch where error.isCancellation {
            _ = markCancelled()
        } catch {
            try? complete(.failure(error), operation: .setException)
        }
    }
}

import ConcurrencyPrimitives
import ConcurrencyReference
import ConcurrencySpec
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A second, independent asyncio-style event loop, written the plain way
/// (one lock around arrays and flags, a binary heap for timers) with one
/// switchable defect. With no defect it implements every loop contract as
/// CPython's `BaseEventLoop` does; each ``LoopDefect`` breaks one documented
/// rule, so that the kit proves its loop clauses by catching it.
///
/// Threads: the loop runs on whichever thread calls ``runForever()``; its
/// callbacks and the steps of its tasks run there one at a time. Every field
/// lives in `state`, behind a ``ConditionLock`` (visible to ThreadSanitizer),
/// so the class is `Sendable` without `@unchecked`; the lock is never held
/// while a callback or a job runs.
///
/// Tasks are Swift tasks created with this loop as their task executor: their
/// jobs arrive through ``enqueue(_:)`` and join the ready queue, in FIFO order
/// with callbacks.
final class MutantLoop: EventLoop, SerialExecutor, TaskExecutor {
    let defect: LoopDefect?
    /// Whether the loop was asked for a virtual clock.
    let virtualTime: Bool
    /// Loop time zero, for the real clock.
    private let epoch = MonotonicInstant.now
    private let state: ConditionLock<LoopState>
    /// Runs the jobs of tasks that outlive ``close()``: a closed loop never
    /// runs anything again, but a Swift task must run to its end or it leaks.
    /// Serial, so those jobs still run one at a time.
    private let afterClose = DispatchQueue(label: "MutantLoop.afterClose")

    init(virtualTime: Bool, defect: LoopDefect?) {
        self.virtualTime = virtualTime
        self.defect = defect
        let order: TimerHeap.Order = switch defect {
        case .timersInScheduleOrder?: .scheduleOrder
        case .equalDeadlinesLIFO?: .deadlineThenLIFO
        default: .deadlineThenFIFO
        }
        state = ConditionLock(LoopState(timers: TimerHeap(order: order), nextPoll: .after(Self.pollInterval)))
    }

    /// With ``LoopDefect/threadsafeNoWake``, how often the loop looks at what
    /// other threads handed it.
    private static let pollInterval = Duration.milliseconds(20 * 100)

    /// Whether time jumps to the next timer when nothing is ready.
    private var jumpsToTimers: Bool { virtualTime && defect != .virtualClockRealPace }

    // MARK: Clock and status

    var time: Duration {
        let reading = loopTime
        if defect == .timeNotMonotonic {
            let count = state.withLock { state -> Int in
                state.timeReadings += 1
                return state.timeReadings
            }
            if count % 7 == 0 { return reading - .milliseconds(1) }
        }
        return reading
    }

    var clockResolution: Duration { virtualTime ? .zero : .milliseconds(1) }

    var isRunning: Bool { state.withLock { $0.runDepth > 0 } }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// The loop's time without the timeNotMonotonic defect, for the loop's
    /// own use: only readers of ``time`` see that defect.
    private var loopTime: Duration { state.withLock { now(in: $0) } }

    /// The loop's time, read under the lock (the virtual clock lives there).
    private func now(in state: LoopState) -> Duration {
        jumpsToTimers ? state.virtualNow : MonotonicInstant.now - epoch
    }

    // MARK: Scheduling callbacks

    @discardableResult
    func callSoon(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        // From another thread this is callSoonThreadsafe: `accept` routes by
        // the calling thread, so both share one body.
        let handle = MutantHandle(when: nil, callback: callback)
        guard accept(.callback(handle)) else { throw ConcurrencyError.loopClosed }
        return handle
    }

    @discardableResult
    func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try callSoon(callback)
    }

    @discardableResult
    func callLater(_ delay: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try checkOpen()
        var delay = delay
        if delay < .zero {
            guard defect == .negativeDelayAccepted else {
                throw ConcurrencyError.invalidArgument("callLater needs a delay of zero or more, got \(delay)")
            }
            delay = .zero
        }
        if defect == .timerEarly { delay /= 2 }
        return try addTimer(at: loopTime + delay, callback)
    }

    @discardableResult
    func callAt(_ when: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try checkOpen()
        let now = loopTime
        if defect == .pastCallAtDropped && when < now {
            // A handle that nothing will ever run.
            return MutantHandle(when: when, callback: callback)
        }
        var when = when
        if defect == .timerEarly && when > now { when = now + (when - now) / 2 }
        return try addTimer(at: when, callback)
    }

    func setExceptionHandler(_ handler: (@Sendable (LoopExceptionContext) -> Void)?) {
        state.withLock { $0.exceptionHandler = handler }
    }

    private func checkOpen() throws {
        if isClosed { throw ConcurrencyError.loopClosed }
    }

    private func addTimer(at deadline: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        let handle = MutantHandle(when: deadline, callback: callback)
        let fireAt = defect == .timerLateByOneTick ? deadline + .milliseconds(1) : deadline
        let onLoop = isLoopThread
        let wakes = try state.withLock { state -> Bool in
            if state.closed { throw ConcurrencyError.loopClosed }
            state.sequence += 1
            state.timers.push(TimerEntry(fireAt: fireAt, sequence: state.sequence, handle: handle))
            // A loop idle in a wait must recompute its deadline.
            return wakeIfForeign(&state, onLoop: onLoop)
        }
        if wakes { state.broadcast() }
        return handle
    }

    /// Whether the caller hands work to a loop running on another thread.
    private func isForeign(_ state: LoopState, onLoop: Bool) -> Bool {
        !onLoop && state.runDepth > 0
    }

    /// Marks a change that a loop waiting on another thread must see, and
    /// says whether to signal it. threadsafeNoWake never does.
    private func wakeIfForeign(_ state: inout LoopState, onLoop: Bool) -> Bool {
        guard isForeign(state, onLoop: onLoop), defect != .threadsafeNoWake else { return false }
        state.generation &+= 1
        return true
    }

    /// Appends `entry` to the ready queue; `false` when the loop is closed.
    ///
    /// From the loop's own thread, or while no thread runs the loop, the
    /// entry simply joins the queue; handed to a loop running on another
    /// thread, it also wakes the loop, which may be waiting (Python's
    /// self-pipe write in `call_soon_threadsafe`).
    private func accept(_ entry: LoopEntry, firstStepLIFO: Bool = false) -> Bool {
        let onLoop = isLoopThread
        let (accepted, wakes) = state.withLock { state -> (Bool, Bool) in
            if state.closed { return (false, false) }
            if defect == .threadsafeNoWake && isForeign(state, onLoop: onLoop) {
                state.inbox.append(entry)
            } else if firstStepLIFO, let index = state.ready.firstIndex(where: \.isFirstStep) {
                // Before the first step of every task created earlier.
                state.ready.insert(entry, at: index)
            } else {
                state.ready.append(entry)
            }
            return (true, wakeIfForeign(&state, onLoop: onLoop))
        }
        if wakes { state.broadcast() }
        return accepted
    }

    // MARK: Running

    /// Whether the calling thread is running this loop.
    private var isLoopThread: Bool {
        runningLoopSlot.value == Unmanaged.passUnretained(self).toOpaque()
    }

    func runForever() throws {
        let outer = runningLoopSlot.value
        try state.withLock { state in
            if state.closed { throw ConcurrencyError.loopClosed }
            // Python's _check_running: this loop anywhere, or any loop on
            // this thread.
            if defect != .reentrantRun && (state.runDepth > 0 || outer != nil) {
                throw ConcurrencyError.loopRunning
            }
            state.runDepth += 1
        }
        runningLoopSlot.set(Unmanaged.passUnretained(self).toOpaque())
        let closeNow: Bool
        do {
            defer {
                runningLoopSlot.set(outer)
                state.withLock { state in
                    state.runDepth -= 1
                    state.stopping = false
                }
            }
            while true {
                try runOnce()
                let (stopping, closeRequested) = state.withLock { ($0.stopping, $0.closeRequested) }
                if stopping || closeRequested { break }
            }
            closeNow = state.withLock { state in
                defer { state.closeRequested = false }
                return state.closeRequested
            }
        }
        // closeWhileRunning: the close that was accepted mid-iteration.
        if closeNow { try close() }
    }

    func runUntilComplete<Value: Sendable>(_ future: any LoopFuture<Value>) throws -> Value {
        let outer = runningLoopSlot.value
        let serial = try state.withLock { state -> UInt64 in
            if state.closed { throw ConcurrencyError.loopClosed }
            if defect != .reentrantRun && (state.runDepth > 0 || outer != nil) {
                throw ConcurrencyError.loopRunning
            }
            state.sequence += 1
            return state.sequence
        }
        let key = DoneCallbackKey(rawValue: "MutantLoop.runUntilComplete.\(serial)")
        future.addDoneCallback(key: key) { [self] _ in stop() }
        defer { future.removeDoneCallback(key: key) }
        try runForever()
        if defect == .runUntilCompleteCloses { try? close() }
        guard future.isDone else {
            throw ConcurrencyError.invalidState(operation: .result, state: .pending)
        }
        return try future.result()
    }

    func stop() {
        state.withLock { state in
            state.stopping = true
            state.generation &+= 1
        }
        state.broadcast()
    }

    /// One iteration, as CPython's `_run_once`: wait until something is ready
    /// or a timer is due, move due timers to the ready queue, then run exactly
    /// the entries that were ready at that moment.
    private func runOnce() throws {
        waitForWork()
        var batch = takeBatch()
        if defect == .readyQueueLIFO { batch.reverse() }
        var index = 0
        while index < batch.count {
            let entry = batch[index]
            index += 1
            do {
                try run(entry)
            } catch {
                // callbackErrorStopsLoop: keep what was not run yet for the
                // next run instead of losing it.
                requeueAtFront(batch[index...])
                throw error
            }
            if defect == .stopDropsBatch && state.withLock({ $0.stopping }) {
                // Abandon the remaining callbacks, but keep task steps so
                // that no Swift task is stranded.
                requeueAtFront(batch[index...].filter { if case .callback = $0 { false } else { true } })
                return
            }
        }
        if defect == .nestedCallbacksSameIteration {
            while let entry = state.withLock({ $0.ready.isEmpty ? nil : $0.ready.removeFirst() }) {
                try run(entry)
            }
        }
    }

    private func requeueAtFront(_ entries: some Collection<LoopEntry>) {
        guard !entries.isEmpty else { return }
        state.withLock { $0.ready.insert(contentsOf: entries, at: 0) }
    }

    private enum WaitPlan {
        case proceed
        case wait(generation: UInt64, deadline: MonotonicInstant?)
    }

    /// Blocks the loop's thread (never a pool thread) until an iteration has
    /// something to do; in virtual time, jumps the clock instead of waiting
    /// for a timer.
    private func waitForWork() {
        while true {
            let plan = state.withLock { state -> WaitPlan in
                pollInbox(&state)
                if defect != .handleCancelIgnored {
                    while let top = state.timers.top, top.handle.isCancelled { _ = state.timers.pop() }
                }
                if !state.ready.isEmpty || state.stopping || state.closeRequested { return .proceed }
                var deadline: MonotonicInstant?
                if let next = state.timers.top?.fireAt {
                    if jumpsToTimers {
                        // Jump only when no thread-pool work could still
                        // hand the loop something earlier.
                        guard state.outstanding > 0 else {
                            state.virtualNow = max(state.virtualNow, next)
                            return .proceed
                        }
                    } else {
                        // Wait for the deadline itself, as CPython's select
                        // timeout does; the resolution is only the tolerance
                        // of the due check in takeBatch.
                        let wait = next - now(in: state)
                        if wait <= .zero { return .proceed }
                        deadline = .after(wait)
                    }
                }
                if defect == .threadsafeNoWake {
                    deadline = deadline.map { min($0, state.nextPoll) } ?? state.nextPoll
                }
                return .wait(generation: state.generation, deadline: deadline)
            }
            guard case .wait(let generation, let deadline) = plan else { return }
            state.wait(until: { $0.generation != generation }, deadline: deadline) { _, _ in }
        }
    }

    /// threadsafeNoWake: what other threads handed in is seen only at polls.
    private func pollInbox(_ state: inout LoopState) {
        guard defect == .threadsafeNoWake, MonotonicInstant.now >= state.nextPoll else { return }
        state.ready.append(contentsOf: state.inbox)
        state.inbox = []
        state.nextPoll = .after(Self.pollInterval)
    }

    private func takeBatch() -> [LoopEntry] {
        state.withLock { state in
            // Real time: a timer may fire one clock resolution early, as
            // CPython's `end_time = self.time() + self._clock_resolution`.
            let limit = now(in: state) + (jumpsToTimers ? .zero : clockResolution)
            while let top = state.timers.top, top.fireAt <= limit {
                _ = state.timers.pop()
                if !top.handle.isCancelled || defect == .handleCancelIgnored {
                    state.ready.append(.callback(top.handle))
                }
            }
            defer { state.ready = [] }
            return state.ready
        }
    }

    private func run(_ entry: LoopEntry) throws {
        switch entry {
        case .callback(let handle):
            if handle.isCancelled && defect != .handleCancelIgnored { return }
            do {
                try handle.callback()
            } catch {
                if defect == .callbackErrorStopsLoop { throw error }
                reportException(LoopExceptionContext(message: "Exception in callback", error: error))
            }
        case .job(let job, _):
            runJob(job)
        case .wakeup(let resume):
            wake(resume)
        }
    }

    /// Resumes a task waiting for a future and runs its step right here, as
    /// asyncio's `Task.__wakeup` calls `__step` inside the done callback: the
    /// task then wakes in order with the future's other callbacks. Resuming
    /// the continuation enqueues the task's job synchronously on this thread;
    /// the capture slot catches it on the way.
    private func wake(_ resume: ResumeOnce) {
        let capture = JobCapture(loop: self)
        jobCaptureSlot.installing(capture) {
            resume.resume(.success(()))
        }
        if let job = capture.job { runJob(job) }
    }

    /// Runs one job of a task on the calling thread.
    ///
    /// `runSynchronously(on:)` with this loop as the task executor, not
    /// `runSynchronously(isolatedTo:taskExecutor:)`: a job run as isolated
    /// to this serial executor leaves that isolation when it enters the
    /// nonisolated task body, which the runtime does by enqueuing the job
    /// once more, so every step would cost an extra iteration.
    private func runJob(_ job: UnownedJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    func enqueue(_ job: consuming ExecutorJob) {
        if defect == .tasksOffLoop {
            // Swift's shared pool runs the steps, several at once.
            globalConcurrentExecutor.enqueue(job)
            return
        }
        let job = UnownedJob(job)
        if let capture = JobCapture.current(for: self), capture.job == nil {
            capture.job = job
            return
        }
        if !accept(.job(job, firstStep: false)) { runAfterClose(job) }
    }

    private func runAfterClose(_ job: UnownedJob) {
        afterClose.async { self.runJob(job) }
    }

    // MARK: Closing

    func close() throws {
        let taken = try state.withLock { state -> ClosedWork? in
            if state.runDepth > 0 {
                guard defect == .closeWhileRunning else { throw ConcurrencyError.loopRunning }
                state.closeRequested = true
                state.generation &+= 1
                return nil
            }
            if state.closed { return nil }
            if defect == .runLeavesLoopOpen && state.mainFinished && !state.runCloseSkipped {
                // The close at the end of run(_:) (the only caller that names
                // a task "main" and closes after it finished) is skipped once.
                state.runCloseSkipped = true
                return nil
            }
            state.closed = true
            defer {
                state.ready = []
                state.inbox = []
                state.timers.removeAll()
                state.tasks = []
                state.executor = nil
            }
            return ClosedWork(entries: state.ready + state.inbox, tasks: state.tasks, executor: state.executor)
        }
        guard let taken else { return }
        // Python's close: shutdown(wait=False), never blocking the caller.
        taken.executor?.shutdown(wait: false, cancelFutures: false)
        if !taken.tasks.isEmpty {
            reportException(LoopExceptionContext(message: "loop closed with \(taken.tasks.count) pending task(s)"))
        }
        if defect == .closeLeaksPendingTasks { return }
        // Every pending task is cancelled without running on the loop again:
        // a suspended one is resumed with the cancellation, any other one
        // meets it at its next step. Their jobs run on `afterClose`.
        for task in taken.tasks { task.control.abandon() }
        for entry in taken.entries {
            switch entry {
            case .callback: break
            case .job(let job, _): runAfterClose(job)
            case .wakeup(let resume): resume.resume(.success(()))
            }
        }
    }

    // MARK: Futures and tasks

    func createFuture<Value: Sendable>(of type: Value.Type) -> any LoopFuture<Value> {
        MutantLoopFuture<Value>(loop: self)
    }

    func createTask<Value: Sendable>(
        name: String?,
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value> {
        let serial = try state.withLock { state -> Int in
            if state.closed { throw ConcurrencyError.loopClosed }
            state.taskCounter += 1
            return state.taskCounter
        }
        let task = MutantLoopTask<Value>(loop: self, name: name ?? "Task-\(serial)")
        let creator = MutantTaskContext.current.flatMap { $0.loop === self ? $0.task : nil }
        let previous = state.withLock { state -> (any AnyLoopTask)? in
            // tasksRunSerially waits for the newest earlier task, but never
            // for the creator itself, which would deadlock any task that
            // awaits what it creates instead of showing the defect.
            let previous = state.tasks.last { $0.task !== creator }?.task
            state.tasks.append(TaskRecord(task: task, control: task.control))
            if name == "main" && state.runMain == nil { state.runMain = ObjectIdentifier(task) }
            return previous
        }
        let gate = defect == .tasksRunSerially ? previous : nil
        // Creating the Swift task enqueues its first job on this thread at
        // once; catch it to decide where it goes.
        let capture = JobCapture(loop: self)
        jobCaptureSlot.installing(capture) {
            Task(executorPreference: self) {
                await self.drive(task, body, after: gate)
            }
        }
        if let job = capture.job {
            if defect == .eagerTaskStart {
                runJob(job)
            } else if !accept(.job(job, firstStep: true), firstStepLIFO: defect == .tasksStartLIFO) {
                runAfterClose(job)
            }
        }
        return task
    }

    /// The whole life of a task: its context, then its body.
    private func drive<Value: Sendable>(
        _ task: MutantLoopTask<Value>,
        _ body: @escaping @Sendable () async throws -> Value,
        after gate: (any AnyLoopTask)?
    ) async {
        let reference = MutantTaskReference(loop: self, task: task, control: task.control)
        await MutantTaskContext.$current.withValue(reference) {
            if defect == .noLoopContext {
                await task.run(body, after: gate)
            } else {
                await LoopContext.$loop.withValue(self) {
                    await task.run(body, after: gate)
                }
            }
        }
    }

    /// Called by a task as it completes.
    func taskFinished(_ task: any AnyLoopTask) {
        state.withLock { state in
            state.tasks.removeAll { $0.task === task }
            if state.runMain == ObjectIdentifier(task) { state.mainFinished = true }
        }
    }

    /// runAwaitsLeftovers: once run(_:)'s main task has finished, the
    /// cancellations run(_:) sends the leftovers are ignored, so it ends up
    /// waiting for them to finish on their own.
    func ignoresCancel(of task: any AnyLoopTask) -> Bool {
        guard defect == .runAwaitsLeftovers else { return false }
        return state.withLock { $0.mainFinished && $0.runMain != ObjectIdentifier(task) }
    }

    var currentTask: (any AnyLoopTask)? {
        if defect == .currentTaskIsNewest { return state.withLock { $0.tasks.last?.task } }
        guard let reference = MutantTaskContext.current, reference.loop === self else { return nil }
        return reference.task
    }

    var allTasks: [any AnyLoopTask] { state.withLock { $0.tasks.map(\.task) } }

    // MARK: Suspension

    /// Schedules the wake-up of a task waiting on a future that is now done.
    func scheduleWakeup(_ resume: ResumeOnce) {
        switch defect {
        case .futureCallbacksInline?:
            resume.resume(.success(()))
        case .lateWakeup?:
            // Wake only at the next 200 ms mark of loop time, like a poller.
            let period: Int64 = 200_000_000
            let mark = Duration.nanoseconds((loopTime.saturatingNanoseconds / period + 1) * period)
            if (try? callAt(mark) { resume.resume(.success(())) }) == nil { resume.resume(.success(())) }
        default:
            // A closed loop has nobody to wait for: let the task go on (on
            // `afterClose`) so that it can finish.
            if !accept(.wakeup(resume)) { resume.resume(.success(())) }
        }
    }

    func sleep(_ delay: Duration) async throws {
        guard let reference = MutantTaskContext.current, reference.loop === self else {
            throw ConcurrencyError.noRunningLoop
        }
        var delay = delay
        if delay < .zero {
            guard defect == .negativeDelayAccepted else {
                throw ConcurrencyError.invalidArgument("sleep needs a delay of zero or more, got \(delay)")
            }
            delay = .zero
        }
        if delay == .zero {
            if defect == .sleepZeroNoYield { return }
            try await yieldOneIteration(reference.control)
            return
        }
        if defect == .sleepBlocksThread {
            blockLoopThread(for: delay)
            return
        }
        // asyncio.sleep: a future set by a timer, the timer cancelled if the
        // wait ends otherwise.
        let future = MutantLoopFuture<Void>(loop: self)
        let timer = try callLater(delay) {
            if !future.isDone { try? future.setResult(()) }
        }
        do {
            try await future.value
        } catch {
            timer.cancel()
            throw error
        }
    }

    /// sleepBlocksThread: the wrong kind of sleep, which holds the loop's
    /// thread. Synchronous, because Swift rightly refuses `Thread.sleep` in
    /// an async context.
    private func blockLoopThread(for delay: Duration) {
        let (seconds, attoseconds) = delay.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) * 1e-18)
    }

    /// asyncio's bare `yield`: the task goes to the back of the ready queue
    /// and takes its next step on the next iteration.
    private func yieldOneIteration(_ control: TaskControl) async throws {
        let resume = ResumeOnce()
        try await withUnsafeThrowingContinuation { continuation in
            resume.install(continuation)
            if !accept(.wakeup(resume)) { resume.resume(.failure(ConcurrencyError.cancelled)) }
        }
        if control.takeMustCancel() { throw ConcurrencyError.cancelled }
    }

    // MARK: Thread pool

    func runInExecutor<Value: Sendable>(
        _ executor: (any ConcurrentExecutor)?,
        _ job: @escaping @Sendable () throws -> Value
    ) throws -> any LoopFuture<Value> {
        try checkOpen()
        if defect == .runInExecutorInline {
            let future = MutantLoopFuture<Value>(loop: self)
            switch Result(catching: job) {
            case .success(let value): try future.setResult(value)
            case .failure(let error): try future.setException(error)
            }
            return future
        }
        let pool = try executor ?? defaultExecutor()
        return wrapFuture(try pool.submit(job))
    }

    private func defaultExecutor() throws -> any ConcurrentExecutor {
        try state.withLock { state in
            if state.closed { throw ConcurrencyError.loopClosed }
            if let executor = state.executor { return executor }
            let executor = try ThreadPoolExecutor()
            state.executor = executor
            return executor
        }
    }

    /// The spec's `wrapFuture`, plus the count of outstanding thread work
    /// that keeps a virtual clock from jumping past a result still on its way.
    func wrapFuture<Value: Sendable>(_ future: any ConcurrentFuture<Value>) -> any LoopFuture<Value> {
        let mirror = MutantLoopFuture<Value>(loop: self)
        mirror.addDoneCallback { _ in
            if mirror.isCancelled { _ = future.cancel() }
        }
        state.withLock { $0.outstanding += 1 }
        future.addDoneCallback { [self] source in
            let result = Result { try source.result(timeout: .zero) }
            let isCancelled = source.isCancelled
            let complete: @Sendable () -> Void = {
                guard !mirror.isDone else { return }
                if isCancelled {
                    mirror.cancel()
                } else {
                    switch result {
                    case .success(let value): try? mirror.setResult(value)
                    case .failure(let error): try? mirror.setException(error)
                    }
                }
            }
            if defect == .wrapFutureOffLoop {
                complete()
                finishOutstanding(nil)
            } else {
                finishOutstanding(complete)
            }
        }
        return mirror
    }

    /// Hands the loop the completion of thread work, in the same critical
    /// section that stops counting it as outstanding.
    private func finishOutstanding(_ completion: (@Sendable () -> Void)?) {
        let onLoop = isLoopThread
        let wakes = state.withLock { state -> Bool in
            state.outstanding -= 1
            if let completion, !state.closed {
                let entry = LoopEntry.callback(MutantHandle(when: nil, callback: completion))
                if defect == .threadsafeNoWake && isForeign(state, onLoop: onLoop) {
                    state.inbox.append(entry)
                } else {
                    state.ready.append(entry)
                }
            }
            return wakeIfForeign(&state, onLoop: onLoop)
        }
        if wakes { state.broadcast() }
    }

    // MARK: Errors nobody can catch

    func reportException(_ context: LoopExceptionContext) {
        if let handler = state.withLock({ $0.exceptionHandler }) {
            handler(context)
        } else {
            FileHandle.standardError.write(Data("MutantLoop: \(context)\n".utf8))
        }
    }

    // MARK: Module functions

    func gather<Value: Sendable>(_ futures: [any LoopFuture<Value>]) -> any LoopFuture<[Value]> {
        switch defect {
        case .gatherCompletionOrder?, .gatherCancelsSiblings?, .gatherCancelIgnoresChildren?,
             .childCancelCancelsGather?, .gatherEmptyNeverDone?:
            brokenGather(futures)
        default:
            SpecDefaults(base: self).gather(futures)
        }
    }

    func gatherOutcomes<Value: Sendable>(
        _ futures: [any LoopFuture<Value>]
    ) -> any LoopFuture<[Result<Value, any Error>]> {
        switch defect {
        case .gatherOutcomesRaise?, .gatherCancelIgnoresChildren?, .childCancelCancelsGather?, .gatherEmptyNeverDone?:
            brokenGatherOutcomes(futures)
        default:
            SpecDefaults(base: self).gatherOutcomes(futures)
        }
    }

    func wait<Value: Sendable>(
        _ futures: [any LoopFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) async throws -> (done: [any LoopFuture<Value>], pending: [any LoopFuture<Value>]) {
        switch defect {
        case .loopWaitCancelsPending?, .loopWaitFirstCompletedWaitsAll?, .loopWaitAcceptsEmpty?:
            try await brokenWait(futures, timeout: timeout, returnWhen: returnWhen)
        default:
            try await SpecDefaults(base: self).wait(futures, timeout: timeout, returnWhen: returnWhen)
        }
    }

    func waitFor<Value: Sendable>(_ future: any LoopFuture<Value>, timeout: Duration?) async throws -> Value {
        switch defect {
        case .waitForLeavesInnerRunning?, .waitForNoCancelWait?, .waitForWaitsFullTimeout?:
            try await brokenWaitFor(future, timeout: timeout)
        default:
            try await SpecDefaults(base: self).waitFor(future, timeout: timeout)
        }
    }

    func asCompleted<Value: Sendable>(_ futures: [any LoopFuture<Value>], timeout: Duration?) -> LoopCompletions<Value> {
        switch defect {
        case .loopAsCompletedIgnoresTimeout?:
            SpecDefaults(base: self).asCompleted(futures, timeout: nil)
        case .loopAsCompletedInputOrder?:
            asCompletedInInputOrder(futures, timeout: timeout)
        default:
            SpecDefaults(base: self).asCompleted(futures, timeout: timeout)
        }
    }
}

// MARK: - Loop state

/// Everything the loop knows, guarded by its lock.
private struct LoopState {
    /// Callbacks, task steps and wake-ups to run, in order.
    var ready: [LoopEntry] = []
    /// threadsafeNoWake only: what other threads handed in, until the next
    /// poll.
    var inbox: [LoopEntry] = []
    var timers: TimerHeap
    var nextPoll: MonotonicInstant
    /// Orders timers with equal deadlines and makes callback keys unique.
    var sequence: UInt64 = 0
    var virtualNow: Duration = .zero
    var timeReadings = 0
    /// How many runs are active (more than one only with reentrantRun).
    var runDepth = 0
    var stopping = false
    var closed = false
    /// closeWhileRunning: a close accepted while running, done after the
    /// iteration.
    var closeRequested = false
    /// Bumped whenever another thread gives an idle loop something to look
    /// at; the loop waits for it to change.
    var generation: UInt64 = 0
    /// Thread-pool results (runInExecutor, wrapFuture) not yet handed back.
    var outstanding = 0
    var exceptionHandler: (@Sendable (LoopExceptionContext) -> Void)?
    var executor: (any ConcurrentExecutor)?
    /// The pending tasks, in creation order.
    var tasks: [TaskRecord] = []
    var taskCounter = 0
    /// The task run(_:) created (named "main"), for the two run defects.
    var runMain: ObjectIdentifier?
    var mainFinished = false
    var runCloseSkipped = false

    init(timers: TimerHeap, nextPoll: MonotonicInstant) {
        self.timers = timers
        self.nextPoll = nextPoll
    }
}

private struct TaskRecord {
    let task: any AnyLoopTask
    let control: TaskControl
}

/// What close() takes away from the loop to finish outside the lock.
private struct ClosedWork {
    let entries: [LoopEntry]
    let tasks: [TaskRecord]
    let executor: (any ConcurrentExecutor)?
}

/// One thing the loop can run.
private enum LoopEntry {
    /// A callback, run unless its handle was cancelled.
    case callback(MutantHandle)
    /// A step of a task; `firstStep` marks a task's first job.
    case job(UnownedJob, firstStep: Bool)
    /// Resumes a task suspended on a future, and runs its step at once.
    case wakeup(ResumeOnce)

    var isFirstStep: Bool {
        if case .job(_, true) = self { true } else { false }
    }
}

/// A handle on a scheduled callback.
final class MutantHandle: LoopHandle {
    let when: Duration?
    let callback: @Sendable () throws -> Void
    private let cancelled = ConditionLock(false)

    init(when: Duration?, callback: @escaping @Sendable () throws -> Void) {
        self.when = when
        self.callback = callback
    }

    func cancel() { cancelled.withLock { $0 = true } }

    var isCancelled: Bool { cancelled.withLock { $0 } }
}

// MARK: - Timers

private struct TimerEntry {
    /// When the loop lets it run (its deadline, or one tick later with
    /// timerLateByOneTick).
    var fireAt: Duration
    var sequence: UInt64
    var handle: MutantHandle
}

/// A binary min-heap of timers.
private struct TimerHeap {
    enum Order {
        /// By deadline, equal deadlines first-in first-out: CPython's
        /// `(when, sequence)` heap order.
        case deadlineThenFIFO
        case deadlineThenLIFO
        case scheduleOrder
    }

    let order: Order
    private var items: [TimerEntry] = []

    init(order: Order) { self.order = order }

    var top: TimerEntry? { items.first }

    mutating func push(_ entry: TimerEntry) {
        items.append(entry)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> TimerEntry? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let first = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && precedes(items[left], items[smallest]) { smallest = left }
            if right < items.count && precedes(items[right], items[smallest]) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    mutating func removeAll() { items = [] }

    private func precedes(_ a: TimerEntry, _ b: TimerEntry) -> Bool {
        switch order {
        case .deadlineThenFIFO: (a.fireAt, a.sequence) < (b.fireAt, b.sequence)
        case .deadlineThenLIFO: a.fireAt != b.fireAt ? a.fireAt < b.fireAt : a.sequence > b.sequence
        case .scheduleOrder: a.sequence < b.sequence
        }
    }
}

// MARK: - Thread-local slots

/// One pthread thread-local slot holding a raw pointer.
private final class ThreadSlot: Sendable {
    // A pthread key is a plain integer that any thread may use.
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        self.key = key
    }

    var value: UnsafeMutableRawPointer? { pthread_getspecific(key) }

    func set(_ value: UnsafeMutableRawPointer?) {
        pthread_setspecific(key, value)
    }

    /// Runs `body` with `object` in the slot, then puts back what was there.
    func installing(_ object: AnyObject, _ body: () -> Void) {
        let previous = value
        withExtendedLifetime(object) {
            set(Unmanaged.passUnretained(object).toOpaque())
            body()
            set(previous)
        }
    }
}

/// The loop running on this thread, unretained (it is alive while it runs).
/// Python: `events._get_running_loop()`.
private let runningLoopSlot = ThreadSlot()

/// The job catcher installed on this thread, if any.
private let jobCaptureSlot = ThreadSlot()

/// Catches the one job that a Swift task enqueues on this loop synchronously
/// while the catcher is installed (at task creation, or when a continuation
/// is resumed).
///
/// Not Sendable, and needs not be: it is reached only through
/// `jobCaptureSlot`, a thread-local slot, so only the thread that installed
/// it ever touches it.
private final class JobCapture {
    let loop: ObjectIdentifier
    var job: UnownedJob?

    init(loop: MutantLoop) { self.loop = ObjectIdentifier(loop) }

    /// The catcher installed on this thread for `loop`.
    static func current(for loop: MutantLoop) -> JobCapture? {
        guard let raw = jobCaptureSlot.value else { return nil }
        let capture = Unmanaged<JobCapture>.fromOpaque(raw).takeUnretainedValue()
        return capture.loop == ObjectIdentifier(loop) ? capture : nil
    }
}

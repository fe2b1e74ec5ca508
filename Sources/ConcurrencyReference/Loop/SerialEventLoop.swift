import ConcurrencyPrimitives
import ConcurrencySpec
import Foundation
import Synchronization

/// A callback scheduled on a ``SerialEventLoop``: Python's `Handle` and
/// `TimerHandle`.
final class LoopCallbackHandle: LoopHandle {
    let callback: @Sendable () throws -> Void
    let when: Duration?
    private let cancelled = Atomic<Bool>(false)

    init(when: Duration?, _ callback: @escaping @Sendable () throws -> Void) {
        self.when = when
        self.callback = callback
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// An asyncio-style event loop that is also a Swift executor.
///
/// The loop runs on the thread that calls ``runForever()`` or
/// ``runUntilComplete(_:)``. Each iteration moves the timers that are due
/// into a first-in, first-out ready queue and then runs exactly the entries
/// that were ready when it began, as CPython's `_run_once` does. Entries are
/// callbacks and the jobs of Swift tasks: the loop conforms to
/// `SerialExecutor` and `TaskExecutor`, and ``createTask(name:_:)`` starts
/// an ordinary Swift task with this loop as its executor preference, so plain
/// `async` code (including `async let` and task groups inside it) runs on the
/// loop's thread, one step at a time, between callbacks.
///
/// The loop is a `TaskExecutor` only; actors that want to live on the loop
/// use ``actorExecutor``, a `SerialExecutor` feeding the same queue. One
/// object cannot be both: both protocols deliver jobs through the same
/// `enqueue`, yet a task-preferred job must run as not isolated (or every
/// nonisolated `async` call would hop back through the queue, costing an
/// iteration each) while an actor's job must run isolated to its executor.
///
/// A task woken by a done callback takes its next step right where that
/// callback runs, as CPython's `Task.__wakeup` does, so callbacks and task
/// steps interleave in the same order as in asyncio.
///
/// ## Clocks
/// ``Clock/real`` reads the monotonic clock. ``Clock/virtual`` starts at zero
/// and, whenever nothing is ready and no work handed to a thread
/// (``runInExecutor(_:_:)``, ``wrapFuture(_:)``) is outstanding, jumps
/// straight to the next timer: a program that sleeps 3 seconds finishes at
/// once with ``time`` advanced by exactly 3 seconds.
///
/// ## Cancellation
/// ``AnyLoopFuture/cancel(message:)`` on a task follows asyncio: the body sees
/// ``ConcurrencyError/cancelled`` thrown at its next suspension on this loop
/// (awaiting a loop future, ``sleep(_:)``, and everything built on them), once.
/// Suspensions the loop cannot see (an actor hop, `Task.sleep`) do not
/// deliver it.
public final class SerialEventLoop: EventLoop, TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: the fields of `local` are touched only by the
    // thread that runs the loop; every entry point reachable from other
    // threads checks `isLoopThread` and otherwise goes through `shared`, a
    // lock. A run hands the loop from one thread to the next through
    // `shared` (enterRun/exitRun), which orders their accesses. The other
    // fields are `let`s or atomics.

    /// How the loop keeps time.
    public enum Clock: Sendable {
        /// The monotonic clock of the machine.
        case real
        /// Loop time that jumps to the next timer when the loop is idle.
        case virtual
    }

    /// Loop-thread state: see the comment at the top of the class. Only
    /// the loop's thread touches it, one access at a time, so the dynamic
    /// exclusivity checks would only cost time.
    private final class LocalState {
        @exclusivity(unchecked) var ready = ReadyQueue()
        @exclusivity(unchecked) var timers = TimerHeap()
        /// While a callback runs: the first task job it enqueues, run right
        /// after it (the task woken by a done callback steps in its place).
        @exclusivity(unchecked) var capturing = false
        @exclusivity(unchecked) var captured: Entry?
        /// The inbox's contents, swapped out under the lock: the two arrays
        /// trade buffers, so draining neither copies nor allocates.
        @exclusivity(unchecked) var arrivals: [Entry] = []
    }

    /// The ready queue: first in, first out, written for `Entry` alone so
    /// that no call goes through generic code (a generic queue run
    /// unspecialized looked up type metadata on every call, which was half
    /// the cost of a callSoon).
    private struct ReadyQueue {
        private var slots: [Entry?] = []
        private var head = 0

        var count: Int { slots.count - head }
        var isEmpty: Bool { head == slots.count }

        mutating func append(_ entry: Entry) { slots.append(entry) }

        mutating func popFirst() -> Entry? {
            guard head < slots.count else { return nil }
            // Taken out, so the queue keeps no callback alive after it ran.
            let entry = slots[head].take()
            head += 1
            if head == slots.count {
                slots.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 4096, head * 2 > slots.count {
                slots.removeFirst(head)
                head = 0
            }
            return entry
        }

        mutating func removeAll() -> [Entry] {
            defer {
                slots.removeAll()
                head = 0
            }
            return slots[head...].compactMap { $0 }
        }
    }

    private enum Entry {
        case callback(LoopCallbackHandle)
        case timer(LoopCallbackHandle, deadline: Int64)
        case job(UnownedJob)
        case actorJob(UnownedJob)
    }

    private struct Shared {
        var inbox: [Entry] = []
        var closed = false
        var running = false
        var tasks: [ObjectIdentifier: any SerialLoopTaskProtocol] = [:]
        var exceptionHandler: (@Sendable (LoopExceptionContext) -> Void)?
        var defaultExecutor: ThreadPoolExecutor?
        /// Whether the inbox or a stop request needs the loop's attention.
        var hasNews: Bool { !inbox.isEmpty }
    }

    /// The clock this loop uses.
    public let clock: Clock
    private let local = LocalState()
    private let shared = ConditionLock(Shared())
    /// `pthread_self()` of the thread running the loop, or 0.
    private let loopThread = Atomic<UInt>(0)
    private let stopRequested = Atomic<Bool>(false)
    private let closedFlag = Atomic<Bool>(false)
    /// Work handed to threads whose outcome the loop still awaits; virtual
    /// time does not jump while there is any.
    private let outstandingThreadWork = Atomic<Int>(0)
    private let virtualNow = Atomic<Int64>(0)
    private let origin = MonotonicInstant.now
    private static let runningLoopOfThread = ThreadLocal<UInt> { 0 }

    /// Creates an idle, open loop.
    public init(clock: Clock = .real) {
        self.clock = clock
        actorExecutor.attach(self)
    }

    // MARK: Time

    private var nowNanoseconds: Int64 {
        switch clock {
        case .real: MonotonicInstant.now.nanoseconds - origin.nanoseconds
        case .virtual: virtualNow.load(ordering: .acquiring)
        }
    }

    public var time: Duration { .nanoseconds(nowNanoseconds) }

    /// The resolution of the monotonic clock in real time (one nanosecond on
    /// Linux, as CPython's `loop._clock_resolution` reports it there); zero
    /// in virtual time, where timers are exact.
    public var clockResolution: Duration {
        clock == .virtual ? .zero : .nanoseconds(1)
    }

    // MARK: State

    public var isRunning: Bool { shared.withLock { $0.running } }
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    private var isLoopThread: Bool {
        loopThread.load(ordering: .relaxed) == Self.currentThreadID
    }

    private static var currentThreadID: UInt { UInt(bitPattern: Int(bitPattern: pthread_self())) }

    // MARK: Scheduling

    @discardableResult
    public func callSoon(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        let handle = LoopCallbackHandle(when: nil, callback)
        try schedule(.callback(handle))
        return handle
    }

    @discardableResult
    public func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        try callSoon(callback)
    }

    @discardableResult
    public func callLater(_ delay: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        guard delay >= .zero else {
            throw ConcurrencyError.invalidArgument("callLater needs a delay of zero or more, got \(delay)")
        }
        return try callAt(time + delay, callback)
    }

    @discardableResult
    public func callAt(_ when: Duration, _ callback: @escaping @Sendable () throws -> Void) throws -> any LoopHandle {
        let handle = LoopCallbackHandle(when: when, callback)
        try schedule(.timer(handle, deadline: when.saturatingNanoseconds))
        return handle
    }

    /// Queues an entry: directly on the loop's thread, through the inbox
    /// (waking the loop) from anywhere else.
    private func schedule(_ entry: Entry) throws {
        guard !closedFlag.load(ordering: .acquiring) else { throw ConcurrencyError.loopClosed }
        if isLoopThread {
            append(entry)
            return
        }
        try shared.withLock { shared in
            guard !shared.closed else { throw ConcurrencyError.loopClosed }
            shared.inbox.append(entry)
        }
        shared.signal()
    }

    /// Schedules a callback the loop owes someone (a future's done callback);
    /// a closed loop drops it, as CPython's refusal would.
    func scheduleInternal(_ callback: @escaping @Sendable () -> Void) {
        _ = try? schedule(.callback(LoopCallbackHandle(when: nil, callback)))
    }

    /// Loop thread only.
    private func append(_ entry: Entry) {
        switch entry {
        case .timer(let handle, let deadline): local.timers.insert(handle, deadline: deadline)
        case .callback, .job, .actorJob: local.ready.append(entry)
        }
    }

    public func setExceptionHandler(_ handler: (@Sendable (LoopExceptionContext) -> Void)?) {
        shared.withLock { $0.exceptionHandler = handler }
    }

    /// Python's `call_exception_handler`.
    func report(_ context: LoopExceptionContext) {
        if let handler = shared.withLock({ $0.exceptionHandler }) {
            handler(context)
        } else {
            FileHandle.standardError.write(Data("SerialEventLoop: \(context)\n".utf8))
        }
    }

    // MARK: Executor

    public func enqueue(_ job: consuming ExecutorJob) {
        enqueue(.job(UnownedJob(job)))
    }

    /// Queues the job of a task (`.job`) or of an actor (`.actorJob`).
    private func enqueue(_ entry: Entry) {
        if isLoopThread {
            if local.capturing, local.captured == nil {
                local.captured = entry
            } else {
                local.ready.append(entry)
            }
            return
        }
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.closed else { return false }
            shared.inbox.append(entry)
            return true
        }
        if accepted {
            shared.signal()
        } else {
            // A closed loop never runs again, but a task's job must run
            // somewhere, or the task and everything it holds would leak: its
            // body was woken with a cancellation by close() and only unwinds.
            if case .job(let job) = entry { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
            if case .actorJob(let job) = entry { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        }
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// The serial executor of actors that run on this loop:
    ///
    /// ```swift
    /// actor Counter {
    ///     let loop: SerialEventLoop
    ///     nonisolated var unownedExecutor: UnownedSerialExecutor {
    ///         loop.actorExecutor.asUnownedSerialExecutor()
    ///     }
    /// }
    /// ```
    public let actorExecutor = LoopActorExecutor()

    fileprivate func enqueueActorJob(_ job: UnownedJob) {
        enqueue(.actorJob(job))
    }

    private func run(_ entry: Entry) {
        switch entry {
        case .job(let job):
            job.runSynchronously(on: asUnownedTaskExecutor())
        case .actorJob(let job):
            job.runSynchronously(
                isolatedTo: actorExecutor.asUnownedSerialExecutor(),
                taskExecutor: asUnownedTaskExecutor()
            )
        case .callback, .timer:
            runEntry(entry)
        }
    }

    // MARK: Running

    public func runForever() throws {
        try enterRun()
        defer { exitRun() }
        repeat {
            runOnce()
        } while !stopRequested.exchange(false, ordering: .acquiringAndReleasing)
    }

    public func runUntilComplete<Value: Sendable>(_ future: any LoopFuture<Value>) throws -> Value {
        guard future.loop === self else { throw ConcurrencyError.differentLoop }
        future.addDoneCallback(key: DoneCallbackKey(rawValue: "SerialEventLoop.runUntilComplete")) { [self] _ in
            stop()
        }
        defer { future.removeDoneCallback(key: DoneCallbackKey(rawValue: "SerialEventLoop.runUntilComplete")) }
        try runForever()
        return try future.result()
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        shared.signal()
    }

    private func enterRun() throws {
        let thread = Self.currentThreadID
        try shared.withLock { shared in
            guard !shared.closed else { throw ConcurrencyError.loopClosed }
            guard !shared.running, Self.runningLoopOfThread.value == 0 else { throw ConcurrencyError.loopRunning }
            shared.running = true
        }
        Self.runningLoopOfThread.value = UInt(bitPattern: ObjectIdentifier(self))
        loopThread.store(thread, ordering: .releasing)
    }

    private func exitRun() {
        loopThread.store(0, ordering: .releasing)
        Self.runningLoopOfThread.value = 0
        shared.withLock { $0.running = false }
    }

    /// One iteration: CPython's `BaseEventLoop._run_once`.
    private func runOnce() {
        // What other threads queued comes first: virtual time must not jump
        // past wake-ups that are already waiting in the inbox.
        drainInbox(waitUpTo: .zero)
        let budget = waitBudget()
        if budget != .zero { drainInbox(waitUpTo: budget) }
        // Timers due by now (less one clock resolution, as CPython allows)
        // join the ready queue in deadline order.
        let limit = nowNanoseconds + clockResolution.saturatingNanoseconds
        while let handle = local.timers.popDue(by: limit) {
            if !handle.isCancelled { local.ready.append(.callback(handle)) }
        }
        // Only what was ready when the iteration began: entries added by
        // these callbacks wait for the next one (LOOP-002).
        var remaining = local.ready.count
        while remaining > 0, let entry = local.ready.popFirst() {
            remaining -= 1
            runEntry(entry)
        }
    }

    /// How long the next drain may block: zero when there is work or a stop
    /// request; the time to the next timer otherwise (nil: no limit).
    private func waitBudget() -> Duration? {
        if !local.ready.isEmpty || stopRequested.load(ordering: .acquiring) { return .zero }
        guard let deadline = local.timers.earliestDeadline() else { return nil }
        let now = nowNanoseconds
        if clock == .virtual {
            if outstandingThreadWork.load(ordering: .acquiring) == 0 {
                // Idle in virtual time: jump to the next timer at once.
                if deadline > now { virtualNow.store(deadline, ordering: .releasing) }
                return .zero
            }
            // Work handed to threads may still schedule something earlier:
            // wait for it in real time, with loop time standing still.
            return nil
        }
        return .nanoseconds(max(0, deadline - now))
    }

    /// Moves the inbox into the ready queue, first waiting up to `budget`
    /// (nil: without limit) for something to arrive.
    private func drainInbox(waitUpTo budget: Duration?) {
        let local = local
        if budget == .zero {
            shared.withLock { swap(&local.arrivals, &$0.inbox) }
        } else {
            shared.wait(
                until: { $0.hasNews || self.stopRequested.load(ordering: .acquiring) },
                deadline: budget.map { MonotonicInstant.after($0) }
            ) { shared, _ in
                swap(&local.arrivals, &shared.inbox)
            }
        }
        for entry in local.arrivals { append(entry) }
        local.arrivals.removeAll(keepingCapacity: true)
    }

    private func runEntry(_ entry: Entry) {
        switch entry {
        case .job, .actorJob:
            run(entry)
        case .callback(let handle):
            guard !handle.isCancelled else { return }
            local.capturing = true
            do {
                try handle.callback()
            } catch {
                report(LoopExceptionContext(message: "Exception in callback", error: error))
            }
            local.capturing = false
            if let job = local.captured.take() { run(job) }
        case .timer(let handle, let deadline):
            local.timers.insert(handle, deadline: deadline)
        }
    }

    // MARK: Closing

    public func close() throws {
        let (pending, executor, inbox) = try shared.withLock { shared -> ([any SerialLoopTaskProtocol], ThreadPoolExecutor?, [Entry]) in
            guard !shared.running else { throw ConcurrencyError.loopRunning }
            guard !shared.closed else { return ([], nil, []) }
            shared.closed = true
            defer {
                shared.inbox.removeAll()
                shared.defaultExecutor = nil
            }
            return (Array(shared.tasks.values), shared.defaultExecutor, shared.inbox)
        }
        closedFlag.store(true, ordering: .releasing)
        // No thread runs the loop now (running is false under the lock), so
        // this thread may touch the local state: the iteration that last ran
        // ended before `running` was cleared.
        var jobs: [UnownedJob] = []
        for entry in local.ready.removeAll() + inbox {
            switch entry {
            case .job(let job), .actorJob(let job): jobs.append(job)
            case .callback, .timer: break
            }
        }
        local.timers.removeAll()
        if !pending.isEmpty {
            let names = pending.map(\.name).sorted().joined(separator: ", ")
            report(LoopExceptionContext(message: "Loop closed with \(pending.count) pending task(s), now cancelled: \(names)"))
            for task in pending { task.control.abandon() }
        }
        // Queued task steps still have to run for their tasks to unwind.
        for job in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        executor?.shutdown(wait: false, cancelFutures: true)
    }

    // MARK: Futures and tasks

    public func createFuture<Value: Sendable>(of type: Value.Type) -> any LoopFuture<Value> {
        SerialLoopFuture<Value>(loop: self)
    }

    public func createTask<Value: Sendable>(
        name: String?,
        _ body: @escaping @Sendable () async throws -> Value
    ) throws -> any LoopTask<Value> {
        let task = try shared.withLock { shared -> SerialLoopTask<Value> in
            guard !shared.closed else { throw ConcurrencyError.loopClosed }
            let task = SerialLoopTask<Value>(loop: self, name: name ?? "Task-\(Self.nextTaskNumber())")
            shared.tasks[ObjectIdentifier(task)] = task
            return task
        }
        task.start(body)
        return task
    }

    private static let taskCounter = Atomic<Int>(0)
    private static func nextTaskNumber() -> Int {
        taskCounter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    func taskEnded(_ task: any SerialLoopTaskProtocol) {
        _ = shared.withLock { $0.tasks.removeValue(forKey: ObjectIdentifier(task)) }
    }

    public var currentTask: (any AnyLoopTask)? {
        guard let task = CurrentLoopTask.task, task.owner === self else { return nil }
        return task
    }

    /// The control of the current task when it belongs to this loop.
    var currentControl: TaskControl? {
        guard let task = CurrentLoopTask.task, task.owner === self else { return nil }
        return task.control
    }

    public var allTasks: [any AnyLoopTask] {
        shared.withLock { shared in shared.tasks.values.filter { !$0.isDone }.map { $0 as any AnyLoopTask } }
    }

    /// Parks the calling task until `register`'s wake-up is called. A task
    /// of this loop is woken with ``ConcurrencyError/cancelled`` instead when
    /// a cancellation is due, or when the loop was closed meanwhile.
    func suspend(
        _ control: TaskControl?,
        _ register: (_ wakeUp: @escaping @Sendable () -> Void) -> Void
    ) async throws {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let suspension = Suspension(continuation)
            guard let control else {
                register { suspension.resume(throwing: nil) }
                return
            }
            guard control.park(suspension) else {
                suspension.resume(throwing: ConcurrencyError.loopClosed)
                return
            }
            register { suspension.resume(throwing: control.endWait(suspension)) }
        }
    }

    public func sleep(_ delay: Duration) async throws {
        guard delay >= .zero else {
            throw ConcurrencyError.invalidArgument("sleep needs a delay of zero or more, got \(delay)")
        }
        guard let control = currentControl else { throw ConcurrencyError.noRunningLoop }
        guard delay > .zero else {
            // Python's bare `yield`: the task goes to the back of the ready
            // queue and steps again on the next iteration (LOOP-013).
            try await suspend(control) { wakeUp in
                scheduleInternal(wakeUp)
            }
            return
        }
        let done = createFuture(of: Void.self)
        let timer = try callLater(delay) { if !done.isDone { try? done.setResult(()) } }
        defer { timer.cancel() }
        try await done.value
    }

    // MARK: Threads

    public func runInExecutor<Value: Sendable>(
        _ executor: (any ConcurrentExecutor)?,
        _ job: @escaping @Sendable () throws -> Value
    ) throws -> any LoopFuture<Value> {
        let pool = try executor ?? defaultExecutor()
        return wrapFuture(try pool.submit(job))
    }

    private func defaultExecutor() throws -> any ConcurrentExecutor {
        try shared.withLock { shared in
            guard !shared.closed else { throw ConcurrencyError.loopClosed }
            if let pool = shared.defaultExecutor { return pool }
            // Python's default for run_in_executor: min(32, cores + 4).
            let pool = try ThreadPoolExecutor(maxWorkers: nil)
            shared.defaultExecutor = pool
            return pool
        }
    }

    public func wrapFuture<Value: Sendable>(_ future: any ConcurrentFuture<Value>) -> any LoopFuture<Value> {
        let mirror = SerialLoopFuture<Value>(loop: self)
        mirror.addDoneCallback { _ in
            if mirror.isCancelled { _ = future.cancel() }
        }
        // Counted until the outcome reaches the loop, so that virtual time
        // does not jump past work still running on a thread.
        outstandingThreadWork.wrappingAdd(1, ordering: .acquiringAndReleasing)
        future.addDoneCallback { [self] source in
            let outcome = Result { try source.result(timeout: .zero) }
            let cancelled = source.isCancelled
            let delivered = (try? callSoonThreadsafe { [self] in
                outstandingThreadWork.wrappingSubtract(1, ordering: .acquiringAndReleasing)
                guard !mirror.isDone else { return }
                if cancelled {
                    _ = mirror.markCancelled()
                } else {
                    try? mirror.complete(outcome, operation: .setResult)
                }
            }) != nil
            if !delivered { outstandingThreadWork.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        }
        return mirror
    }
}

/// The `SerialExecutor` of actors that live on a ``SerialEventLoop``: their
/// jobs join the loop's ready queue like every other entry.
public final class LoopActorExecutor: SerialExecutor {
    private struct WeakLoop {
        weak var loop: SerialEventLoop?
    }

    // Weak: the loop owns its actor executor.
    private let target = ConditionLock(WeakLoop())

    init() {}

    func attach(_ loop: SerialEventLoop) {
        target.withLock { $0.loop = loop }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if let loop = target.withLock({ $0.loop }) {
            loop.enqueueActorJob(job)
        } else {
            // The loop is gone: run the job elsewhere rather than leak it.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}


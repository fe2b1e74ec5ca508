import ConcurrencyPrimitives
import ConcurrencySpec
import Foundation
import Synchronization

/// A pool of worker threads with the semantics of Python's
/// `concurrent.futures.ThreadPoolExecutor`.
///
/// Workers are started lazily, one per submit that finds no idle worker, up
/// to ``maxWorkers``; they are reused for later jobs and exit at shutdown,
/// which joins them. At most ``maxWorkers`` jobs run at once.
///
/// ```swift
/// let executor = try ThreadPoolExecutor(maxWorkers: 2)
/// try withExecutor(executor) { pool in
///     let hello = try pool.submit { "hello" }
///     print(try hello.result())
/// }   // joined: every job finished, every worker exited
/// ```
///
/// Hand-off is built for this machine's reality: waking a parked thread on
/// another core costs 20–90 µs. So a submit allocates one object (the future,
/// which carries its job), appends it to an inbox that the pool's lock does
/// not guard, and wakes a worker only when one is parked; an idle worker
/// spins briefly before it parks; a reader spins briefly before it parks;
/// and a worker facing a long queue takes a small batch at once (never more
/// than its share, so peers are not starved of work).
public final class ThreadPoolExecutor: ConcurrentExecutor, CustomStringConvertible {
    /// The default worker count: `min(32, cores + 4)`, Python's default
    /// since 3.8. A thread pool is for work that blocks (I/O, sleeps,
    /// waiting on other processes), where more threads than cores keep the
    /// cores busy; the seed's "one per logical core" suits CPU-bound work,
    /// which belongs in a process pool or in Swift's own concurrency.
    public static var defaultMaxWorkers: Int {
        min(32, ProcessInfo.processInfo.activeProcessorCount + 4)
    }

    /// The most jobs that run at once, and the most threads the pool starts.
    public let maxWorkers: Int

    private let state: ConditionLock<PoolState>
    private let inbox = JobInbox()
    private let initializer: (@Sendable () throws -> Void)?
    private let namePrefix: String
    /// Submits in flight, plus ``gateClosed`` once shutdown or a broken
    /// initializer has closed the pool. Closing waits for the count to drain,
    /// so every job a submit accepted is in the inbox before workers are
    /// told to exit; that is what Python's `_shutdown_lock` around `submit`
    /// guarantees, without a lock on the submit path.
    private let gate = Atomic<Int>(0)
    private static let gateClosed = 1 << 62
    /// Workers parked on the pool's condition; a submit wakes one only when
    /// this is not zero.
    private let parkedWorkers = Atomic<Int>(0)
    /// Jobs waiting in the locked queue, readable without the lock so that a
    /// spinning worker does not hammer it.
    private let queuedCount = Atomic<Int>(0)
    /// Python's `_idle_semaphore`: a worker adds a token when it finishes a
    /// job, a submit takes one instead of starting a thread. So a
    /// submit-then-wait loop reuses one worker, while a burst of submits
    /// starts up to maxWorkers threads (a fresh thread holds no token).
    private let idleTokens = Atomic<Int>(0)
    /// Set once maxWorkers threads have been started: tokens only decide
    /// whether to start a thread, so from then on nobody counts them.
    private let fullyStaffed = Atomic<Bool>(false)
    /// Set by shutdown, read by spinning workers so they park (and exit)
    /// at once instead of finishing their spin.
    private let stopping = Atomic<Bool>(false)
    /// Set by shutdown(cancelFutures: true): jobs not yet started are
    /// cancelled, even those a worker already took in its batch. An atomic,
    /// because workers read it before every batched job.
    private let cancelPending = Atomic<Bool>(false)
    /// Opens once the workers have been joined, for concurrent shutdowns.
    private let joined = ConditionLock(false)

    private static let poolCounter = Atomic<Int>(0)

    /// Creates a pool.
    ///
    /// - Parameters:
    ///   - maxWorkers: At most this many threads; `nil` for
    ///     ``defaultMaxWorkers``.
    ///   - threadNamePrefix: Names the workers `prefix_0`, `prefix_1`…;
    ///     by default `ThreadPoolExecutor-N`, as Python names them.
    ///   - initializer: Runs once in each worker before its first job. If it
    ///     throws, the pool breaks: every pending future fails with
    ///     ``ConcurrencyError/brokenExecutor(reason:)`` and later submits
    ///     throw it (Python: `BrokenThreadPool`).
    /// - Throws: ``ConcurrencyError/invalidArgument(_:)`` when `maxWorkers`
    ///   is zero or negative.
    public init(
        maxWorkers: Int? = nil,
        threadNamePrefix: String? = nil,
        initializer: (@Sendable () throws -> Void)? = nil
    ) throws {
        let count = maxWorkers ?? Self.defaultMaxWorkers
        guard count > 0 else {
            throw ConcurrencyError.invalidArgument("maxWorkers must be greater than 0, got \(count)")
        }
        self.maxWorkers = count
        self.initializer = initializer
        let number = Self.poolCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        self.namePrefix = threadNamePrefix ?? "ThreadPoolExecutor-\(number)"
        self.state = ConditionLock(PoolState())
    }

    deinit {
        // Like Python's interpreter-exit hook: an abandoned pool still lets
        // its queued work finish, on its own threads, without blocking here.
        shutdown(wait: false, cancelFutures: false)
    }

    // Inlinable so that callers build the future and its work item
    // specialized for `Result`; everything that does not depend on the type
    // lives in `enqueue`.
    @inlinable
    public func submit<Result: Sendable>(
        _ job: @escaping @Sendable () throws -> Result
    ) throws -> any ConcurrentFuture<Result> {
        let future = Future<Result>(poolJob: job)
        try enqueue(future)
        return future
    }

    /// Accepts a job unless the pool is shut down or broken, and makes sure
    /// a worker will run it.
    @usableFromInline
    func enqueue(_ item: any PoolRunnable) throws {
        guard gate.wrappingAdd(1, ordering: .acquiring).newValue & Self.gateClosed == 0 else {
            gate.wrappingSubtract(1, ordering: .releasing)
            throw state.withLock { state in
                state.broken.map { ConcurrencyError.brokenExecutor(reason: $0) } ?? .executorShutDown
            }
        }
        inbox.push(item)
        // Still inside the gate: a shutdown cannot finish between accepting
        // this job and deciding whether a thread must be started for it.
        let newWorker = fullyStaffed.load(ordering: .relaxed) || takeIdleToken() ? nil : reserveWorkerSlot()
        gate.wrappingSubtract(1, ordering: .releasing)
        if let newWorker { startWorker(index: newWorker) }
        if parkedWorkers.load(ordering: .sequentiallyConsistent) > 0 {
            // The lock orders this wake-up after a worker that has checked
            // the inbox and is about to wait: it holds the lock until then.
            state.withLock { _ in }
            state.signal()
        }
    }

    public func shutdown(wait: Bool, cancelFutures: Bool) {
        stopping.store(true, ordering: .releasing)
        closeGate()
        let (cancelled, mustJoin) = state.withLock { state -> ([any PoolRunnable], Bool) in
            state.shutDown = true
            var cancelled: [any PoolRunnable] = []
            if cancelFutures {
                cancelPending.store(true, ordering: .releasing)
                cancelled = state.queue.removeAll()
                inbox.takeAll(into: &cancelled)
                queuedCount.store(0, ordering: .releasing)
            }
            guard wait, !state.joinClaimed else { return (cancelled, false) }
            state.joinClaimed = true
            return (cancelled, true)
        }
        state.broadcast()
        for item in cancelled { item.cancelPoolJob() }
        guard wait else { return }
        if mustJoin {
            joinWorkers()
            joined.withLock { $0 = true }
            joined.broadcast()
        } else if !isWorkerThread {
            joined.wait(until: { $0 }, deadline: nil) { _, _ in }
        }
    }

    public var description: String {
        let (threads, queued, shutDown) = state.withLock { ($0.threads.count, $0.queue.count, $0.shutDown) }
        return "<ThreadPoolExecutor maxWorkers=\(maxWorkers) threads=\(threads) queued=\(queued)\(shutDown ? " shutdown" : "")>"
    }

    // MARK: Workers

    private func takeIdleToken() -> Bool {
        var tokens = idleTokens.load(ordering: .relaxed)
        while tokens > 0 {
            let (exchanged, original) = idleTokens.compareExchange(
                expected: tokens, desired: tokens - 1, ordering: .acquiringAndReleasing
            )
            if exchanged { return true }
            tokens = original
        }
        return false
    }

    /// Reserves a thread slot if the pool may still grow; the caller starts
    /// the thread.
    private func reserveWorkerSlot() -> Int? {
        state.withLock { state in
            guard state.threads.count < maxWorkers, !state.shutDown else { return nil }
            state.threads.append(.starting)
            if state.threads.count == maxWorkers { fullyStaffed.store(true, ordering: .relaxed) }
            return state.threads.count - 1
        }
    }

    /// Refuses new submits, then waits for those in flight to finish
    /// pushing, so that the inbox holds every accepted job.
    private func closeGate() {
        gate.bitwiseOr(Self.gateClosed, ordering: .acquiringAndReleasing)
        while gate.load(ordering: .acquiring) & ~Self.gateClosed != 0 {
            sched_yield()
        }
    }

    private var isWorkerThread: Bool {
        state.withLock { $0.threads.contains { $0.thread?.isCurrent == true } }
    }

    private func startWorker(index: Int) {
        let thread = WorkerThread.start(name: "\(namePrefix)_\(index)") { [self] in
            runWorker()
            // Nobody has promised to join this thread: let it go on exit.
            let detach = state.withLock { state -> Bool in
                guard !state.joinClaimed else { return false }
                state.threads[index] = .detached
                return true
            }
            if detach { WorkerThread.detachCurrent() }
        }
        state.withLock { state in
            // The worker may already have exited and detached itself.
            if case .starting = state.threads[index] { state.threads[index] = .started(thread) }
        }
    }

    /// Joins every worker; called by exactly one shutdown. A worker that
    /// calls shutdown(wait: true) on its own pool does not join itself.
    private func joinWorkers() {
        var next = 0
        while true {
            // Workers are started outside the lock: a slot may still be
            // waiting for its handle.
            let slot: WorkerSlot? = state.withLock { state in
                next < state.threads.count ? state.threads[next] : nil
            }
            switch slot {
            case nil:
                return
            case .starting?:
                sched_yield()
            case .detached?:
                next += 1
            case .started(let thread)?:
                if thread.isCurrent {
                    // A worker shutting down its own pool cannot join itself;
                    // it will exit once its job returns, so it lets itself go.
                    let index = next
                    state.withLock { $0.threads[index] = .detached }
                    WorkerThread.detachCurrent()
                } else {
                    thread.join()
                }
                next += 1
            }
        }
    }

    private func runWorker() {
        if let initializer {
            do {
                try initializer()
            } catch {
                breakPool(reason: "a thread initializer failed (\(error)); the thread pool is not usable anymore")
                return
            }
        }
        var batch: [any PoolRunnable] = []
        batch.reserveCapacity(Self.maxBatch)
        while nextBatch(into: &batch) {
            for (offset, item) in batch.enumerated() {
                // shutdown(cancelFutures: true) cancels everything not yet
                // started, including what this worker took but has not run.
                if offset > 0 && cancelPending.load(ordering: .acquiring) {
                    for rest in batch[offset...] { rest.cancelPoolJob() }
                    break
                }
                item.runPoolJob {
                    if !fullyStaffed.load(ordering: .relaxed) { idleTokens.add(1, ordering: .releasing) }
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private static let maxBatch = 64

    private enum Take {
        case work
        case idle
        case exit
    }

    /// Waits for work and puts it in `batch`.
    /// - Returns: `false` when the worker should exit.
    private func nextBatch(into batch: inout [any PoolRunnable]) -> Bool {
        while true {
            switch state.withLock({ take(from: &$0, into: &batch) }) {
            case .work: return true
            case .exit: return false
            case .idle: break
            }
            if spinForWork() { continue }
            parkedWorkers.add(1, ordering: .sequentiallyConsistent)
            let taken = state.wait(
                until: { [inbox] in !inbox.isEmpty || !$0.queue.isEmpty || $0.shutDown || $0.broken != nil },
                deadline: nil
            ) { state, _ in take(from: &state, into: &batch) }
            parkedWorkers.subtract(1, ordering: .relaxed)
            switch taken {
            case .work: return true
            case .exit: return false
            case .idle: continue
            }
        }
    }

    /// Spins briefly before parking: a job that arrives within a few
    /// microseconds is picked up without paying for a wake-up. The spin is
    /// bounded by time, not by yields (a yield to a busy neighbour on the
    /// same core can cost a whole time slice), and ends at shutdown.
    /// - Returns: Whether work may have arrived.
    private func spinForWork() -> Bool {
        let spinUntil = MonotonicInstant.after(.microseconds(20))
        var rounds = 0
        while !stopping.load(ordering: .relaxed) {
            if !inbox.isEmpty || queuedCount.load(ordering: .acquiring) > 0 { return true }
            rounds &+= 1
            if rounds & 31 == 0 && MonotonicInstant.now >= spinUntil { return false }
        }
        return false
    }

    /// Moves the inbox into the queue and takes a batch from it. Call with
    /// the pool locked.
    private func take(from state: inout PoolState, into batch: inout [any PoolRunnable]) -> Take {
        if state.broken != nil { return .exit }
        drainInbox(into: &state)
        if state.queue.isEmpty { return state.shutDown ? .exit : .idle }
        // At most a fair share, so a long queue of slow jobs is still spread
        // over every worker; batches only pay off on long queues.
        let share = state.queue.count / (2 * maxWorkers)
        state.queue.removeFirst(upTo: Swift.max(1, Swift.min(Self.maxBatch, share)), into: &batch)
        queuedCount.store(state.queue.count, ordering: .releasing)
        return .work
    }

    /// Moves the inbox's jobs to the end of the queue. Call with the pool
    /// locked.
    private func drainInbox(into state: inout PoolState) {
        inbox.takeAll(into: &state.intake)
        guard !state.intake.isEmpty else { return }
        state.queue.append(contentsOf: state.intake)
        state.intake.removeAll(keepingCapacity: true)
    }

    private func breakPool(reason: String) {
        state.withLock { state in state.broken = state.broken ?? reason }
        closeGate()
        let pending = state.withLock { state -> [any PoolRunnable] in
            drainInbox(into: &state)
            queuedCount.store(0, ordering: .releasing)
            return state.queue.removeAll()
        }
        state.broadcast()
        let error = ConcurrencyError.brokenExecutor(reason: reason)
        for item in pending { item.failPoolJob(error) }
    }
}

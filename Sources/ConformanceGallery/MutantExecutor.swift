import ConcurrencyConformance
import ConcurrencyPrimitives
import ConcurrencySpec
import Foundation

/// A queued job of the mutant pool, type-erased.
private struct MutantJob: Sendable {
    /// Runs the job; `finished` is called before the future completes.
    /// Returns whether the job threw.
    let run: @Sendable (_ finished: () -> Void) -> Bool
    let cancel: @Sendable () -> Void
    let fail: @Sendable (ConcurrencyError) -> Void
}

/// A second, independent thread pool, written the plain way, with one
/// switchable defect. Its futures are the mutant engine's defect-free futures,
/// so that only the executor's defect is under test.
final class MutantExecutor: ConcurrentExecutor {
    private struct State {
        var queue: [MutantJob] = []
        /// Started threads by index; `nil` once the thread detached itself.
        var threads: [Int: WorkerThread] = [:]
        var nextIndex = 0
        var detachedIndices: Set<Int> = []
        var workerIdentities: Set<ThreadIdentity> = []
        var live = 0
        var running = 0
        var idleTokens = 0
        var shutDown = false
        var broken: String?
        var joinClaimed = false
        var joined = false
    }

    let maxWorkers: Int
    private let defect: ExecutorDefect?
    private let initializer: (@Sendable () throws -> Void)?
    private let state = ConditionLock(State())
    /// The `globalInterpreterLock` defect's lock: held around every job,
    /// the seed's picture of the GIL ("only one thread can be executed at a
    /// time"). One per pool, so an abandoned check cannot wedge other pools.
    /// It counts the jobs run under it: a zero-sized state would make
    /// ThreadSanitizer report every locked access (see ConditionLock).
    private let interpreterLock = ConditionLock(0)

    init(maxWorkers: Int?, initializer: (@Sendable () throws -> Void)?, defect: ExecutorDefect?) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var count = maxWorkers ?? (defect == .defaultOnePerCore ? cores : min(32, cores + 4))
        if count <= 0 {
            guard defect == .acceptsZeroWorkers else {
                throw ConcurrencyError.invalidArgument("maxWorkers must be greater than 0, got \(count)")
            }
            count = 1
        }
        self.maxWorkers = count
        self.defect = defect
        self.initializer = initializer
    }

    func submit<Value: Sendable>(_ job: @escaping @Sendable () throws -> Value) throws -> any ConcurrentFuture<Value> {
        let future = MutantFuture<Value>(defect: nil)
        let onWorker = state.withLock { $0.workerIdentities.contains(.current) }
        if onWorker && defect == .submitFromWorkerRejected {
            throw ConcurrencyError.invalidArgument("submit from a worker of this pool")
        }
        let item = makeJob(future, job)
        if defect == .submitRunsInline {
            _ = item.run {}
            return future
        }
        if onWorker && defect == .runsNestedInline {
            let saturated = state.withLock { $0.idleTokens == 0 && $0.live >= maxWorkers }
            if saturated {
                _ = item.run {}
                return future
            }
        }
        if defect == .runningOnSubmit { _ = try? future.setRunningOrNotifyCancel() }
        if defect == .dropsJobsUnderContention {
            let slot = try state.withLock { state -> Int in
                try checkOpen(state)
                return state.queue.count
            }
            usleep(20)
            state.withLock { state in
                if slot < state.queue.count { state.queue[slot] = item } else { state.queue.append(item) }
            }
        } else {
            try state.withLock { state in
                try checkOpen(state)
                if defect == .lifoQueue { state.queue.insert(item, at: 0) } else { state.queue.append(item) }
            }
        }
        if defect == .noIdleReuse {
            // Python before 3.8: a new thread per submit while below the
            // limit, here handed the job itself so the defect always shows.
            let own = state.withLock { state -> MutantJob? in
                guard state.live < maxWorkers, let index = state.queue.lastIndex(where: { _ in true }) else { return nil }
                state.live += 1
                state.running += 1
                return state.queue.remove(at: index)
            }
            if let own {
                startWorker(first: own)
                state.broadcast()
                return future
            }
        }
        if state.withLock({ shouldStartWorker(&$0) }) { startWorker() }
        if defect != .lostWakeupParkedWorker { state.broadcast() }
        return future
    }

    func map<Input: Sendable, Value: Sendable>(
        _ inputs: some Sequence<Input>,
        timeout: Duration?,
        chunksize: Int,
        _ job: @escaping @Sendable (Input) throws -> Value
    ) throws -> MapResults<Value> {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var inputs = Array(inputs)
        if defect == .mapDropsLast, !inputs.isEmpty { inputs.removeLast() }
        if defect == .mapChunkDropsRemainder, chunksize > 1 { inputs.removeLast(inputs.count % chunksize) }
        if defect == .mapLazy {
            return LazyMapResults(inputs: inputs, executor: self, job: job)
        }
        var futures: [any ConcurrentFuture<Value>] = []
        for input in inputs {
            if defect == .mapSequential, let previous = futures.last {
                futures.append(try submit {
                    _ = try? previous.exception(timeout: nil)
                    return try job(input)
                })
            } else {
                futures.append(try submit { try job(input) })
            }
        }
        return MutantMapResults(futures: futures, deadline: deadline, timeout: timeout, defect: defect)
    }

    /// The portable form goes through the closure form above, so that the
    /// map defects show whichever form a check uses (the kit's checks map
    /// ``ConcurrencyConformance/Probe`` jobs, which also run in processes).
    func map<Job: PortableJob>(
        _ jobs: some Sequence<Job>,
        timeout: Duration?,
        chunksize: Int
    ) throws -> MapResults<Job.Result> {
        try MapResults<Job.Result>.checkChunksize(chunksize)
        return try map(jobs, timeout: timeout, chunksize: chunksize) { (job: Job) throws -> Job.Result in try job.run() }
    }

    func shutdown(wait: Bool, cancelFutures: Bool) {
        let (cancelled, mustJoin) = state.withLock { state -> ([MutantJob], Bool?) in
            let alreadyShut = state.shutDown
            state.shutDown = true
            var cancelled: [MutantJob] = []
            if (cancelFutures && defect != .cancelFuturesIgnored) || (wait && defect == .shutdownCancelsQueued) {
                cancelled = state.queue
                state.queue = []
            }
            if !wait && defect == .shutdownNoWaitDropsQueue { state.queue = [] }
            // nil: return without waiting (and without promising to join).
            if !wait || defect == .shutdownDoesNotWait || defect == .workersOutliveShutdown
                || (alreadyShut && defect == .secondShutdownReturnsEarly) {
                return (cancelled, nil)
            }
            let mustJoin = !state.joinClaimed
            state.joinClaimed = true
            return (cancelled, mustJoin)
        }
        state.broadcast()
        for job in cancelled { job.cancel() }
        if wait && defect == .workersOutliveShutdown {
            state.wait(until: { $0.queue.isEmpty && $0.running == 0 }, deadline: nil) { _, _ in }
            return
        }
        guard let mustJoin else { return }
        if mustJoin {
            var index = 0
            while true {
                // A handle is stored just after its thread starts; wait for it.
                let (count, slot, detached) = state.withLock { state in
                    // Marked in the same critical section as the last check,
                    // so a worker started later (acceptsAfterShutdown) knows
                    // nobody will join it.
                    if index >= state.nextIndex { state.joined = true }
                    return (state.nextIndex, state.threads[index], state.detachedIndices.contains(index))
                }
                if index >= count { break }
                if detached {
                    index += 1
                } else if let thread = slot {
                    if thread.isCurrent {
                        state.withLock { _ = $0.detachedIndices.insert(index) }
                        WorkerThread.detachCurrent()
                    } else {
                        thread.join()
                    }
                    index += 1
                } else {
                    sched_yield()
                }
            }
            state.broadcast()
        } else {
            state.wait(until: { $0.joined }, deadline: nil) { _, _ in }
        }
    }

    // MARK: Internals

    private func checkOpen(_ state: State) throws {
        if let reason = state.broken { throw ConcurrencyError.brokenExecutor(reason: reason) }
        if state.shutDown && defect != .acceptsAfterShutdown { throw ConcurrencyError.executorShutDown }
    }

    private func shouldStartWorker(_ state: inout State) -> Bool {
        let start: Bool
        switch defect {
        case .unboundedWorkers?: start = true
        case .singleWorker?: start = state.live == 0
        case .noIdleReuse?, .freshThreadPerJob?: start = state.live < maxWorkers
        case .workersCappedAtCores?:
            start = state.live < min(maxWorkers, ProcessInfo.processInfo.activeProcessorCount)
        default:
            if state.idleTokens > 0 {
                state.idleTokens -= 1
                start = false
            } else {
                start = state.live < maxWorkers
            }
        }
        if start { state.live += 1 }
        return start
    }

    private func makeJob<Value: Sendable>(_ future: MutantFuture<Value>, _ job: @escaping @Sendable () throws -> Value) -> MutantJob {
        let defect = self.defect
        let interpreterLock = self.interpreterLock
        return MutantJob(
            run: { finished in
                let mayRun = (try? future.setRunningOrNotifyCancel()) == true
                if !mayRun && defect != .runsCancelledJobs && defect != .runningOnSubmit && defect != .submitRunsInline {
                    return false
                }
                var outcome = defect == .globalInterpreterLock
                    ? interpreterLock.withLock { jobs in
                        jobs += 1
                        return Result { try job() }
                    }
                    : Result { try job() }
                if defect == .runsJobTwice { outcome = Result { try job() } }
                if defect == .jobErrorWrapped, case .failure(let error) = outcome {
                    outcome = .failure(WrappedError(underlying: error))
                }
                finished()
                switch outcome {
                case .success(let value): try? future.setResult(value)
                case .failure(let error): try? future.setException(error)
                }
                if case .failure = outcome { return true }
                return false
            },
            cancel: { _ = future.cancel() },
            fail: { try? future.setException($0) }
        )
    }

    private func startWorker(first: MutantJob? = nil) {
        let index = state.withLock { state -> Int in
            defer { state.nextIndex += 1 }
            return state.nextIndex
        }
        let thread = WorkerThread.start(name: "MutantPool") { [self] in
            runWorker(first: first)
            let detach = state.withLock { state -> Bool in
                guard !state.joinClaimed || state.joined else { return false }
                state.threads[index] = nil
                state.detachedIndices.insert(index)
                return true
            }
            if detach { WorkerThread.detachCurrent() }
        }
        state.withLock { state in
            // Stored only if the worker has not already exited and detached.
            if !state.detachedIndices.contains(index) { state.threads[index] = thread }
        }
    }

    private func runWorker(first: MutantJob? = nil) {
        state.withLock { _ = $0.workerIdentities.insert(.current) }
        if let initializer, defect != .initializerPerJob {
            do {
                try initializer()
            } catch where defect != .initializerFailureIgnored {
                let pending = state.withLock { state -> [MutantJob] in
                    state.broken = state.broken ?? "the initializer failed: \(error)"
                    state.live -= 1
                    defer { state.queue = [] }
                    return state.queue
                }
                state.broadcast()
                for job in pending { job.fail(.brokenExecutor(reason: "the initializer failed")) }
                return
            } catch {}
        }
        if let first {
            _ = first.run { state.withLock { $0.idleTokens += 1 } }
            state.withLock { $0.running -= 1 }
            state.broadcast()
        }
        while let job = nextJob() {
            if defect == .initializerPerJob { try? initializer?() }
            let threw = job.run { state.withLock { $0.idleTokens += 1 } }
            let exit = state.withLock { state -> Bool in
                state.running -= 1
                if (threw && defect == .jobErrorKillsWorker) || defect == .freshThreadPerJob {
                    state.live -= 1
                    return true
                }
                return false
            }
            state.broadcast()
            if exit {
                if defect == .freshThreadPerJob, state.withLock({ state -> Bool in
                    guard !state.queue.isEmpty, state.live < maxWorkers else { return false }
                    state.live += 1
                    return true
                }) {
                    startWorker()
                }
                return
            }
        }
        if defect == .workersOutliveShutdown { Thread.sleep(forTimeInterval: 2) }
    }

    private func nextJob() -> MutantJob? {
        // With the lost wake-up defect nobody signals: the worker only sees
        // new work when its 2-second poll runs out.
        let poll: MonotonicInstant? = defect == .lostWakeupParkedWorker ? .after(.seconds(2)) : nil
        while true {
            let (job, exit): (MutantJob?, Bool) = state.wait(
                until: { !$0.queue.isEmpty || $0.shutDown || $0.broken != nil },
                deadline: poll
            ) { state, _ in
                if state.broken != nil { return (nil, true) }
                if !state.queue.isEmpty {
                    state.running += 1
                    return (state.queue.removeFirst(), false)
                }
                if state.shutDown {
                    state.live -= 1
                    return (nil, true)
                }
                return (nil, false)
            }
            if let job { return job }
            if exit { return nil }
        }
    }
}

struct MutantExecutorFactory: ExecutorFactory {
    let defect: ExecutorDefect?

    func makeExecutor(maxWorkers: Int?, initializer: (@Sendable () throws -> Void)?) throws -> any ConcurrentExecutor {
        try MutantExecutor(maxWorkers: maxWorkers, initializer: initializer, defect: defect)
    }

    func wait<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>]) {
        mutantWait(futures, timeout: timeout, returnWhen: returnWhen, defect: defect)
    }

    func asCompleted<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration?
    ) -> any CompletionIterator<Value> {
        MutantCompletions(futures, timeout: timeout, defect: defect)
    }
}

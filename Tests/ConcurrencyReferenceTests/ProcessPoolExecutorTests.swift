import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
import ConformanceGallery
import Foundation
import SeedJobs
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The blocking body of a test did not finish within its budget.
private struct Abandoned: Error, CustomStringConvertible {
    let budget: Duration
    var description: String { "the test body did not finish within \(budget); abandoned (hang?)" }
}

/// Runs the jobs of the tasks that prefer it on one serial dispatch queue,
/// off the cooperative pool.
private final class OwnThreadExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "process-pool test")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Runs a blocking test body off the cooperative pool, so it does not hold
/// one of its two threads, and gives up on it after `budget`, so that a pool
/// that hangs fails the test instead of the run.
///
/// The body runs in a task (not a bare thread) that inherits the test's task
/// locals, so its `#expect`s are recorded against the test.
private func onOwnThread<Result: Sendable>(
    budget: Duration = .seconds(30),
    _ body: @escaping @Sendable () throws -> Result
) async throws -> Result {
    let pending = Locked<CheckedContinuation<Swift.Result<Result, any Error>, Never>?>(nil)
    return try await withCheckedContinuation { continuation in
        pending.withLock { $0 = continuation }
        let finish: @Sendable (Swift.Result<Result, any Error>) -> Void = { outcome in
            pending.withLock { $0.take() }?.resume(returning: outcome)
        }
        Task(executorPreference: OwnThreadExecutor()) { finish(Swift.Result { try body() }) }
        let (seconds, attoseconds) = budget.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .nanoseconds(Int(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        ) {
            finish(.failure(Abandoned(budget: budget)))
        }
    }.get()
}

/// The reason of the `brokenExecutor` a future failed with by `deadline`,
/// or a description of what happened instead.
private func brokenReason<Value>(
    of future: any ConcurrentFuture<Value>,
    by deadline: ContinuousClock.Instant
) -> Swift.Result<String, Unexpected> {
    do {
        switch try future.exception(timeout: max(.zero, deadline - .now)) {
        case ConcurrencyError.brokenExecutor(let reason)?: return .success(reason)
        case let other?: return .failure(Unexpected("failed with \(other) instead"))
        case nil: return .failure(Unexpected("succeeded"))
        }
    } catch {
        return .failure(Unexpected("still \(future.state) at the deadline (\(error))"))
    }
}

private struct Unexpected: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Kills whatever workers a pool still has and joins it: the safety net at
/// the end of a test, so that a failing test leaves no process behind.
private func tearDown(_ pool: ProcessPoolExecutor) {
    for pid in pool.workerProcessIDs { kill(pid, SIGKILL) }
    pool.shutdown(wait: true, cancelFutures: true)
}

/// What the reference process pool promises beyond the clauses: a pool that
/// breaks does so at once and completely, leaves no process or descriptor
/// behind, and never hangs its caller.
///
/// Serialized: these tests start many processes and measure how fast
/// failures arrive, which they should not do while fighting each other for
/// the machine's two cores.
@Suite("ProcessPoolExecutor", .serialized)
struct ProcessPoolExecutorTests {
    @Test func runsJobsInOtherProcesses() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 2)
            defer { tearDown(pool) }
            let pids = try (0..<3).map { _ in try pool.submit(WorkerProcessID()) }.map { try $0.result(timeout: .seconds(10)) }
            #expect(!pids.contains(getpid()))
            let primes = try pool.map(PRIMES.map(IsPrime.init), timeout: .seconds(20), chunksize: 1).collect()
            #expect(primes == [true, true, true, true, true, false])
            pool.shutdown(wait: true)
            #expect(pool.workerProcessIDs.isEmpty)
        }
    }

    /// `map` chunks its input whatever the chunksize: far above the number of
    /// jobs (one chunk, without reserving room for `Int.max` jobs), not a
    /// divisor of it (a short last chunk), and over a plain sequence that
    /// cannot tell its length; results come back in input order.
    @Test(arguments: [Int.max, 3, 1])
    func mapChunksAnyInputInOrder(chunksize: Int) async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 2)
            defer { tearDown(pool) }
            let fromArray = try pool.map((0..<10).map(Echo.init), timeout: .seconds(20), chunksize: chunksize).collect()
            #expect(fromArray == Array(0..<10))
            let fromSequence = try pool.map(
                sequence(first: 0) { $0 < 6 ? $0 + 1 : nil }.lazy.map(Echo.init),
                timeout: .seconds(20),
                chunksize: chunksize
            ).collect()
            #expect(fromSequence == Array(0...6))
            #expect(try pool.map([Echo](), timeout: nil, chunksize: chunksize).collect().isEmpty)
            pool.shutdown(wait: true)
        }
    }

    enum Killer: String, CaseIterable, Sendable {
        /// `kill(pid, SIGKILL)` from the test, while the worker sleeps in a call.
        case test
        /// The call kills its own worker (``ProcessJobs/KillWorker``), as an
        /// out-of-memory killer would.
        case job
    }

    /// A worker killed with SIGKILL in the middle of a call breaks the pool
    /// (Python's BrokenProcessPool): the running call and the three queued
    /// behind it fail with `brokenExecutor` within a second of the kill, a
    /// later submit throws it at once, and the dead worker is reaped.
    @Test(arguments: Killer.allCases)
    func aWorkerKilledMidCallBreaksThePoolAtOnce(killer: Killer) async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 1)
            defer { tearDown(pool) }
            let clock = ContinuousClock()
            let delay = 0.2
            // The running call's future, seen through what the test needs:
            // its state and how it failed.
            let running: (state: @Sendable () -> FutureState, reason: @Sendable (ContinuousClock.Instant) -> Swift.Result<String, Unexpected>)
            switch killer {
            case .test:
                let future = try pool.submit(ProcessJobs.SleepInWorker(seconds: 30))
                running = ({ future.state }, { brokenReason(of: future, by: $0) })
            case .job:
                let future = try pool.submit(ProcessJobs.KillWorker(delay: delay))
                running = ({ future.state }, { brokenReason(of: future, by: $0) })
            }
            let queued = try (0..<3).map { try pool.submit(Echo($0)) }
            let workers = pool.workerProcessIDs.compactMap(ChildProcess.lookUp)
            try #require(workers.count == 1)
            #expect(running.state() == .running)
            #expect(queued.allSatisfy { $0.state == .pending })
            let killedAt: ContinuousClock.Instant
            switch killer {
            case .test:
                Thread.sleep(forTimeInterval: delay)  // well inside the call
                killedAt = clock.now
                kill(workers[0].pid, SIGKILL)
            case .job:
                killedAt = clock.now + .seconds(delay)  // at the earliest
            }
            var reasons: [String] = []
            // A second after the kill, plus slack for a loaded machine; the
            // time it really took is asserted below.
            let deadline = killedAt + .seconds(3)
            let outcomes = [running.reason(deadline)] + queued.map { brokenReason(of: $0, by: deadline) }
            for outcome in outcomes {
                switch outcome {
                case .success(let reason): reasons.append(reason)
                case .failure(let unexpected): Issue.record("a call \(unexpected)")
                }
            }
            let failedAfter = clock.now - killedAt
            #expect(failedAfter < .seconds(1), "the calls failed \(failedAfter) after the kill")
            #expect(reasons.count == 4)
            #expect(reasons.allSatisfy { $0.contains("SIGKILL") }, "\(reasons)")

            let submitStart = clock.now
            let later = #expect(throws: ConcurrencyError.self) { try pool.submit(Echo(9)) }
            #expect(later?.kind == .brokenExecutor)
            #expect(clock.now - submitStart < .milliseconds(100), "a submit to a broken pool did not fail at once")
            #expect(throws: ConcurrencyError.self) { try pool.map([Echo(1)], timeout: nil, chunksize: 1) }

            pool.shutdown(wait: true)
            #expect(ChildProcess.waitGone(workers, within: .seconds(2)).isEmpty, "the killed worker was not reaped")
            #expect(ChildProcess.lastingZombies().isEmpty, "zombies: \(ChildProcess.lastingZombies())")
        }
    }

    /// A worker that exits (`os._exit(3)`) with calls still to run breaks the
    /// pool; every call not finished fails with `brokenExecutor` saying how
    /// the worker ended. The call before it, already answered, keeps its
    /// result.
    @Test func aWorkerThatExitsBreaksThePoolWithItsStatus() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 1)
            defer { tearDown(pool) }
            // The sleep keeps the worker busy while the rest is queued, so
            // the exit cannot break the pool before the last submit.
            let first = try pool.submit(ProcessJobs.SleepInWorker(seconds: 0.2))
            let exit = try pool.submit(ProcessJobs.ExitWorker(status: 3))
            let others = try (0..<3).map { try pool.submit(Echo($0)) }
            let workers = pool.workerProcessIDs.compactMap(ChildProcess.lookUp)
            #expect(try first.result(timeout: .seconds(5)) == workers.first?.pid)
            let deadline = ContinuousClock.now + .seconds(3)
            for future in [exit] + others {
                switch brokenReason(of: future, by: deadline) {
                case .success(let reason):
                    #expect(reason.contains("exited with status 3"), "\(reason)")
                case .failure(let unexpected):
                    Issue.record("a call \(unexpected)")
                }
            }
            let later = #expect(throws: ConcurrencyError.self) { try pool.submit(Echo(1)) }
            #expect(later?.kind == .brokenExecutor)
            pool.shutdown(wait: true)
            #expect(ChildProcess.waitGone(workers, within: .seconds(2)).isEmpty)
        }
    }

    /// A worker that writes a frame header announcing 4 GiB breaks the pool
    /// instead of making the parent allocate or wait for it: the calls fail
    /// with `brokenExecutor`, the worker is killed and reaped, and this
    /// process carries on (a new pool works).
    @Test func aGarbledFrameBreaksThePoolNotTheParent() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 1)
            defer { tearDown(pool) }
            let first = try pool.submit(ProcessJobs.SleepInWorker(seconds: 0.2))
            let garble = try pool.submit(ProcessJobs.GarbleStream())
            let others = try (0..<2).map { try pool.submit(Echo($0)) }
            let workers = pool.workerProcessIDs.compactMap(ChildProcess.lookUp)
            _ = try first.result(timeout: .seconds(5))
            let deadline = ContinuousClock.now + .seconds(3)
            for future in [garble] + others {
                switch brokenReason(of: future, by: deadline) {
                case .success(let reason):
                    #expect(reason.contains("frame"), "\(reason)")
                case .failure(let unexpected):
                    Issue.record("a call \(unexpected)")
                }
            }
            pool.shutdown(wait: true)
            #expect(ChildProcess.waitGone(workers, within: .seconds(2)).isEmpty)

            let fresh = try ProcessPoolExecutor(maxWorkers: 1)
            defer { tearDown(fresh) }
            #expect(try fresh.submit(Echo(5)).result(timeout: .seconds(5)) == 5)
        }
    }

    /// An initializer that throws breaks the pool (Python: BrokenProcessPool
    /// "A child process terminated abruptly… initializer failed"): the calls
    /// waiting for that worker fail with `brokenExecutor` naming the
    /// initializer and its error.
    @Test func anInitializerThatThrowsBreaksThePool() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 1, initializer: ProcessJobs.MarkWorker(fail: true))
            defer { tearDown(pool) }
            // One map: every call is queued before the worker can fail.
            let futures = try pool.map((0..<3).map(Echo.init), timeout: nil, chunksize: 1).underlyingFutures
            let deadline = ContinuousClock.now + .seconds(3)
            for future in futures {
                switch brokenReason(of: future, by: deadline) {
                case .success(let reason):
                    #expect(reason.contains("initializer"), "\(reason)")
                    #expect(reason.contains("on purpose"), "the initializer's own error is missing: \(reason)")
                    // Its description, not its binary encoding read as text.
                    #expect(
                        !reason.unicodeScalars.contains { $0.properties.generalCategory == .control },
                        "the initializer's error arrived garbled: \(reason.debugDescription)"
                    )
                case .failure(let unexpected):
                    Issue.record("a call \(unexpected)")
                }
            }
            #expect(throws: ConcurrencyError.self) { try pool.submit(Echo(1)) }
        }
    }

    /// `maxTasksPerChild: 1`: each call gets a fresh worker, so three calls
    /// see three different processes, none of them this one.
    @Test func maxTasksPerChildOneGivesEachCallAFreshWorker() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 2, maxTasksPerChild: 1)
            defer { tearDown(pool) }
            let futures = try (0..<3).map { _ in try pool.submit(WorkerProcessID()) }
            let pids = try futures.map { try $0.result(timeout: .seconds(10)) }
            #expect(Set(pids).count == 3, "\(pids)")
            #expect(!pids.contains(getpid()))
            pool.shutdown(wait: true)
            #expect(pool.workerProcessIDs.isEmpty)
        }
    }

    /// Python raises ValueError for `max_workers <= 0` and
    /// `max_tasks_per_child <= 0`.
    @Test func invalidCountsAreInvalidArguments() {
        for (workers, tasks) in [(0, nil), (-1, nil), (1, 0), (1, -1)] as [(Int, Int?)] {
            let caught = #expect(throws: ConcurrencyError.self) {
                try ProcessPoolExecutor(maxWorkers: workers, maxTasksPerChild: tasks)
            }
            #expect(caught?.kind == .invalidArgument, "maxWorkers \(workers), maxTasksPerChild \(String(describing: tasks))")
        }
    }

    /// Each cycle spawns a worker and waits for it to exit: 1,000 cycles took
    /// 21 s on this 2-core VM with other builds loading it (about 15 ms a
    /// worker's start and 5 ms its reaping). ThreadSanitizer slows every
    /// cycle several-fold, so the sanitized pass runs 200, which still shows
    /// a descriptor or process leaked once in 12 cycles against the slack
    /// below. `CK_POOL_CYCLES` sets another count.
    static let cycles = ProcessInfo.processInfo.environment["CK_POOL_CYCLES"].flatMap { Int($0) }
        ?? (ThreadSanitizer.isActive ? 200 : 1_000)

    /// Descriptors that other suites, running meanwhile, may hold open at the
    /// end and not at the start.
    static let descriptorSlack = 16

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/fd")))
    func createSubmitShutdownCyclesLeaveNothingBehind() async throws {
        let (elapsed, leftover, descriptors) = try await onOwnThread(budget: .seconds(120)) {
            () throws -> (Duration, [ChildProcess], (before: Int, after: Int)) in
            let clock = ContinuousClock()
            let before = ChildProcess.openDescriptorCount()
            var workers: [ChildProcess] = []
            workers.reserveCapacity(Self.cycles)
            let start = clock.now
            for cycle in 0..<Self.cycles {
                let pool = try ProcessPoolExecutor(maxWorkers: 1)
                let future = try pool.submit(Echo(cycle))
                workers += pool.workerProcessIDs.compactMap(ChildProcess.lookUp)
                pool.shutdown(wait: true)
                let value = try future.result(timeout: .zero)
                if value != cycle {
                    Issue.record("cycle \(cycle) returned \(value)")
                    break
                }
            }
            let elapsed = clock.now - start
            // Descriptors close before shutdown(wait: true) returns; poll
            // briefly only for the noise of other suites to settle.
            var after = ChildProcess.openDescriptorCount()
            let deadline = clock.now + .seconds(2)
            while after > before && clock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
                after = ChildProcess.openDescriptorCount()
            }
            #expect(workers.count == Self.cycles, "a cycle started no worker")
            return (elapsed, workers.filter(\.isStillAChild), (before, after))
        }
        print("ProcessPoolExecutor: \(Self.cycles) create/submit/shutdown cycles took \(elapsed)")
        #expect(leftover.isEmpty, "\(leftover.count) workers were not reaped: \(leftover.prefix(5))")
        #expect(ChildProcess.lastingZombies().isEmpty)
        #expect(descriptors.after - descriptors.before <= Self.descriptorSlack, "descriptors: \(descriptors.before) before, \(descriptors.after) after")
    }

    /// `shutdown(wait: false)` and then dropping the pool, or dropping it
    /// without a shutdown (Python: the executor garbage-collected): the
    /// queued calls still run to completion, and afterwards every worker
    /// exits and is reaped by the pool's own threads.
    @Test(arguments: [true, false])
    func droppedPoolFinishesItsWorkAndReapsItsWorkers(callShutdown: Bool) async throws {
        try await onOwnThread {
            weak var dropped: ProcessPoolExecutor?
            var futures: [any ConcurrentFuture<Int32>] = []
            var workers: [ChildProcess] = []
            do {
                let pool = try ProcessPoolExecutor(maxWorkers: 2)
                dropped = pool
                futures = try (0..<6).map { _ in try pool.submit(ProcessJobs.SleepInWorker(seconds: 0.1)) }
                workers = pool.workerProcessIDs.compactMap(ChildProcess.lookUp)
                if callShutdown { pool.shutdown(wait: false) }
            }
            #expect(dropped == nil, "the pool object was not released")
            #expect(workers.count == 2)
            let pids = try futures.map { try $0.result(timeout: .seconds(5)) }
            #expect(Set(pids).isSubset(of: workers.map(\.pid)), "\(pids) vs \(workers)")
            let left = ChildProcess.waitGone(workers, within: .seconds(5))
            #expect(left.isEmpty, "workers of a dropped pool were not reaped: \(left)")
            for worker in left { kill(worker.pid, SIGKILL) }
        }
    }

    /// A done callback runs on the pool's own reader thread; one that shuts
    /// the pool down and waits (as the thread pool's own workers may) must
    /// not wait for itself. Python raises instead of hanging ("cannot join
    /// current thread"); either is acceptable, a hang is not.
    @Test func shutdownWaitingFromADoneCallbackDoesNotDeadlock() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 1)
            let returned = Latch(count: 1)
            let future = try pool.submit(ProcessJobs.SleepInWorker(seconds: 0.1))
            let workers = pool.workerProcessIDs.compactMap(ChildProcess.lookUp)
            future.addDoneCallback { _ in
                pool.shutdown(wait: true)
                returned.arrive()
            }
            #expect(try future.result(timeout: .seconds(5)) == workers.first?.pid)
            if returned.wait(timeout: .seconds(3)) {
                #expect(ChildProcess.waitGone(workers, within: .seconds(2)).isEmpty)
            } else {
                Issue.record("shutdown(wait: true) in a done callback never returned")
                // The pool's reader is stuck for good and will never reap its
                // worker, which exits on the shutdown: reap it here, so the
                // zombie checks of the other tests stay meaningful.
                for worker in workers {
                    let deadline = ContinuousClock.now + .seconds(2)
                    var status: Int32 = 0
                    while waitpid(worker.pid, &status, WNOHANG) == 0 && ContinuousClock.now < deadline {
                        Thread.sleep(forTimeInterval: 0.01)
                    }
                }
            }
        }
    }

    /// `shutdown(cancelFutures: true)` cancels the calls still queued; the
    /// call a worker is running finishes with its result.
    @Test func cancelFuturesCancelsQueuedCallsAndLetsRunningOnesFinish() async throws {
        try await onOwnThread {
            let pool = try ProcessPoolExecutor(maxWorkers: 1)
            defer { tearDown(pool) }
            let running = try pool.submit(ProcessJobs.SleepInWorker(seconds: 0.3))
            let queued = try (0..<3).map { try pool.submit(Echo($0)) }
            let worker = try #require(pool.workerProcessIDs.first)
            #expect(running.isRunning)
            pool.shutdown(wait: true, cancelFutures: true)
            #expect(try running.result(timeout: .zero) == worker)
            #expect(queued.allSatisfy { $0.isCancelled }, "\(queued.map(\.state))")
            for future in queued {
                let caught = #expect(throws: ConcurrencyError.self) { try future.result(timeout: .zero) }
                #expect(caught?.kind == .cancelled)
            }
            #expect(pool.workerProcessIDs.isEmpty)
        }
    }
}

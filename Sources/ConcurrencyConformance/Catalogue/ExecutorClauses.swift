import ConcurrencySpec
import Foundation

extension CheckContext {
    /// A job that sleeps `count` units and returns `value`: a ``Probe``, so
    /// that it runs the same on a thread pool and in a worker process.
    func sleeper(_ count: Double, _ value: Int = 0) -> Probe {
        Probe([.sleep(units(count).seconds)], value: value)
    }

    /// Makes `pool` start `count` workers before a check times it: `count`
    /// sleeps of `units` (short by default) submitted back to back, so each
    /// finds the others' workers busy. A worker process takes milliseconds to start (a thread, a few
    /// microseconds); timing bounds are about how calls are scheduled, and
    /// without this a process pool would pay its start-up inside them. A pool
    /// that cannot start `count` workers simply takes longer here.
    func warmUp(_ pool: any ConcurrentExecutor, workers count: Int, units: Double = 0.2) {
        let futures = (0..<count).compactMap { _ in try? pool.submit(sleeper(units)) }
        for future in futures { _ = try? future.result(timeout: patience) }
    }

    /// A new executor whose `maxWorkers` workers have all started (see
    /// ``warmUp(_:workers:)``).
    func makeWarmExecutor(maxWorkers: Int) throws -> any ConcurrentExecutor {
        let pool = try makeExecutor(maxWorkers: maxWorkers)
        warmUp(pool, workers: maxWorkers)
        return pool
    }

    /// A one-worker pool whose worker is held by a first job until
    /// ``release()``: calls submitted meanwhile stay queued, the only state
    /// in which cancel() can stop them. The holder is a ``Probe`` that opens
    /// the gate `held` and waits (with patience) for the gate `release` on
    /// ``board``.
    struct HeldPool {
        let pool: any ConcurrentExecutor
        let board: Board
        /// The holding job; it returns 0.
        let holder: any ConcurrentFuture<Int>
        let patience: Duration

        /// Waits (with patience) until the holding job runs.
        @discardableResult
        func waitUntilHeld() -> Bool { board.wait(for: "held", timeout: patience.seconds) }

        /// Lets the holding job finish.
        func release() { board.open("release") }
    }

    func makeHeldPool() throws -> HeldPool {
        let pool = try makeExecutor(maxWorkers: 1)
        let board = try makeBoard()
        let holder = try pool.submit(Probe(board: board, [.open("held"), .wait("release", timeout: patience.seconds)]))
        return HeldPool(pool: pool, board: board, holder: holder, patience: patience)
    }

    /// Submits `job` and waits (with patience) for its value; `nil` when the
    /// submit or the job failed or it did not finish in time.
    func run<Value: Sendable>(on pool: any ConcurrentExecutor, _ job: @escaping @Sendable () throws -> Value) -> Value? {
        let future: (any ConcurrentFuture<Value>)? = try? pool.submit(job)
        guard let future else { return nil }
        let value: Value? = try? future.result(timeout: patience)
        return value
    }

    /// A ``ProbeFailure`` no other job throws (its message carries a fresh
    /// UUID), so that equality proves an error is the one this job threw:
    /// "unchanged" once the error may have crossed a process boundary.
    func uniqueFailure(_ tag: String) -> ProbeFailure {
        ProbeFailure(message: "\(tag) \(UUID().uuidString)")
    }

    /// Records a failure unless `body` throws `expected` itself: the same
    /// type and contents, not a wrapper or another error.
    func expectRethrows<Result>(
        _ expected: ProbeFailure,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: () throws -> Result
    ) {
        expectThrown(
            expected, Swift.Result { try body() }, what,
            matches: { $0 == expected },
            mismatch: { "\(what) threw \($0), not \(expected)" },
            fileID: fileID, line: line
        )
    }

    /// Whether the workers a check sees can be counted and compared: threads
    /// the pool starts and keeps, or worker processes, which a process pool
    /// always starts and keeps (each runs its calls on one thread, so
    /// `pid:tid` names the worker).
    var workersAreOwned: Bool {
        !implementation.capabilities.isDisjoint(with: [.ownsWorkerThreads, .processIsolation])
    }
}

/// Why a clause cannot be checked on a process pool: its rule is about a job
/// using the executor that runs it.
let jobUsesItsOwnPool = "the rule is about a job that submits to the very pool running it, and a job in a worker process holds no handle on its parent's pool (nor can one be encoded into a portable job), as Python's process workers cannot reach their executor either; the situation cannot arise"

/// The EXE group: the executor contract and the thread pool.
enum ExecutorClauses {
    static let all: [ClauseDefinition] = [
        exe001, exe003, exe004, exe005, exe006, exe007, exe008, exe009, exe010, exe011, exe012, exe013,
        exe014, exe015, exe016, exe017, exe018, exe019, exe021, exe022, exe023, exe024, exe025, exe026, exe027,
        exe028, exe029,
    ]

    static let exe001 = ClauseDefinition(
        id: "EXE-001", contract: .executor, level: .must,
        statement: "submit returns a pending future at once, without waiting for the job, and the job runs exactly once.",
        source: "CF-DOC Executor.submit; SEED §concurrent.futures",
        method: "Submit a probe that counts its runs on a board and waits at a gate for up to 20 units; time submit, check the future is not done, open the gate, read the result, shut down and read the count.",
        timingRule: "submit returns in < 5 units (a submit that waits for the job takes ≥ 20)",
        hint: "Look for a submit that runs the job inline or waits for a worker to finish it, and for a job queued twice.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let board = try ctx.makeBoard()
            let job = Probe(board: board, [.bump("calls"), .wait("release", timeout: ctx.patience.seconds)], value: 7)
            let (future, elapsed) = try ctx.measure { try pool.submit(job) }
            ctx.expectBelow(elapsed, ctx.units(5), "submit")
            ctx.expect(!future.isDone, "the future was done before its job was allowed to finish")
            board.open("release")
            ctx.expect((try? future.result(timeout: ctx.patience)) == 7, "the future did not get the job's value")
            pool.shutdown(wait: true)
            let calls = board.count("calls")
            ctx.expect(calls == 1, "the job ran \(calls) times, not once")
        }
    )

    static let exe003 = ClauseDefinition(
        id: "EXE-003", contract: .executor, level: .must,
        statement: "What the job returns becomes the future's result and what it throws becomes the future's error, unchanged and never thrown from submit, and the executor stays usable.",
        source: "CF-DOC Executor.submit",
        method: "Submit a job that throws an error unique to it (a portable error carrying a fresh UUID, so equality identifies it across processes), then a job that returns; compare the stored and rethrown error with it and read the second result.",
        hint: "Look at how the worker stores the job's outcome: an error must not be wrapped or rethrown.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let error = ctx.uniqueFailure("EXE-003")
            let failing = ctx.expectNoThrow("submit of a throwing job") { try pool.submit(Probe([.fail(error.message)])) }
            let stored = try? failing?.exception(timeout: ctx.patience)
            ctx.expect((stored as? ProbeFailure) == error, "the future's error is \(String(describing: stored)), not the error the job threw")
            ctx.expectRethrows(error, "result() of the failed job") { try failing?.result(timeout: ctx.patience) }
            let next = try pool.submit(ctx.sleeper(0, 5))
            ctx.expect((try? next.result(timeout: ctx.patience)) == 5, "a job after a failed one did not return its value")
        }
    )

    static let exe004 = ClauseDefinition(
        id: "EXE-004", contract: .executor, level: .must,
        statement: "Creating an executor with maxWorkers of zero or less fails with an invalid-argument error.",
        source: "CF-DOC ThreadPoolExecutor, ProcessPoolExecutor (ValueError)",
        method: "Create executors with maxWorkers 0 and -1.",
        hint: "Look at the argument check in the initializer.",
        requires: [.executor],
        check: .blocking { ctx in
            for workers in [0, -1] {
                ctx.expectThrows(.invalidArgument, "an executor with maxWorkers \(workers)") { try ctx.makeExecutor(maxWorkers: workers) }
            }
        }
    )

    static let exe005 = ClauseDefinition(
        id: "EXE-005", contract: .executor, level: .must,
        statement: "At most maxWorkers calls run at once, and an executor that owns its threads never starts more than maxWorkers of them.",
        source: "CF-DOC ThreadPoolExecutor (a pool of at most max_workers threads)",
        method: "Six 2-unit jobs on 2 workers log their start and end times and their worker (pid:tid) on a board; from the log, the peak number running at once and, where the pool owns its workers (threads or processes), the distinct workers; time them all.",
        timingRule: "all six take ≥ 6 units (three rounds of two); the lower bound proves the cap",
        hint: "Look at how many workers the pool starts and whether a busy pool starts one more.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let board = try ctx.makeBoard()
            let pause = ctx.units(2).seconds
            let (_, elapsed) = try ctx.measure {
                let futures = try (0..<6).map { index in
                    try pool.submit(Probe(board: board, [.sleep(pause), .record("runs", tag: index)], value: index))
                }
                for future in futures { _ = try? future.result(timeout: ctx.patience) }
            }
            let runs = board.records("runs")
            ctx.expect(runs.count == 6, "\(runs.count) of 6 jobs logged their run")
            let peak = ProbeRecord.peakOverlap(runs)
            ctx.expect(peak <= 2, "\(peak) jobs ran at once on 2 workers")
            ctx.expectAtLeast(elapsed, ctx.units(6), "six 2-unit jobs on 2 workers")
            if ctx.workersAreOwned {
                let workers = Set(runs.map(\.worker))
                ctx.expect(workers.count <= 2, "the jobs ran on \(workers.count) workers with maxWorkers 2")
            }
        }
    )

    static let exe006 = ClauseDefinition(
        id: "EXE-006", contract: .executor, level: .must,
        statement: "Up to maxWorkers blocking calls overlap: two 2-unit calls on two workers finish in about 2 units, not 4.",
        source: "SEED §concurrent.futures (the 'hello world' example takes about 2 s)",
        method: "Start both workers of a 2-worker executor, then submit two 2-unit sleeps and time both results.",
        timingRule: "≥ 2 units and < 3 units (run one after the other they take 4)",
        hint: "Look for a pool that starts only one worker, or hands both jobs to the same one.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeWarmExecutor(maxWorkers: 2)
            let (values, elapsed) = try ctx.measure {
                let first = try pool.submit(ctx.sleeper(2, 1))
                let second = try pool.submit(ctx.sleeper(2, 2))
                return [try? first.result(timeout: ctx.patience), try? second.result(timeout: ctx.patience)]
            }
            ctx.expect(values == [1, 2], "the results were \(values)")
            ctx.expectAtLeast(elapsed, ctx.units(2), "two 2-unit calls")
            ctx.expectBelow(elapsed, ctx.units(3), "two 2-unit calls on two workers")
        }
    )

    static let exe007 = ClauseDefinition(
        id: "EXE-007", contract: .executor, level: .should,
        statement: "A thread pool's default maxWorkers is min(32, cores + 4), Python's default, rather than one thread per core as the seed advises.",
        source: "CF-DOC ThreadPoolExecutor (3.8 change); SEED §Some adds",
        method: "Create an executor without maxWorkers and read maxWorkers.",
        hint: "Look at the default worker count.",
        requires: [.executor, .threadPool],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: nil)
            let want = min(32, ProcessInfo.processInfo.activeProcessorCount + 4)
            ctx.expect(pool.maxWorkers == want, "the default maxWorkers is \(pool.maxWorkers), want min(32, \(ProcessInfo.processInfo.activeProcessorCount) + 4) = \(want)")
        }
    )

    static let exe008 = ClauseDefinition(
        id: "EXE-008", contract: .executor, level: .should,
        statement: "A pool reuses an idle worker before starting a new thread, so a loop of submit-then-wait uses a single thread.",
        source: "CF-DOC ThreadPoolExecutor (3.8: reuses idle worker threads)",
        method: "Six times, submit a job that reports its thread and wait for it, on a pool of 4 workers; count the distinct threads.",
        hint: "Look at how the pool decides to start a thread: an idle worker must count.",
        requires: [.executor, .ownsWorkerThreads],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 4)
            var threads = Set<ThreadIdentity>()
            for _ in 0..<6 {
                let future: any ConcurrentFuture<ThreadIdentity> = try pool.submit { ThreadIdentity.current }
                let thread: ThreadIdentity? = try? future.result(timeout: ctx.patience)
                if let thread { threads.insert(thread) }
            }
            ctx.expect(threads.count == 1, "six jobs submitted one at a time ran on \(threads.count) threads")
        }
    )

    static let exe009 = ClauseDefinition(
        id: "EXE-009", contract: .executor, level: .must,
        statement: "The initializer runs exactly once in each worker, before that worker's first job.",
        source: "CF-DOC ThreadPoolExecutor initializer",
        method: "The initializer records its thread and marks it in a thread-local slot; eight half-unit jobs on 3 workers read the mark.",
        hint: "Look at where the worker calls the initializer: once, at its start, not per job.",
        requires: [.executor, .workerInitializer],
        check: .blocking { ctx in
            let mark = KitThreadLocal()
            let initialized = Locked<[ThreadIdentity]>([])
            let pool = try ctx.makeExecutor(maxWorkers: 3) {
                initialized.withLock { $0.append(.current) }
                mark.value = 1
            }
            let pause = ctx.units(0.5)
            let futures = try (0..<8).map { _ in
                try pool.submit { () -> (ThreadIdentity, Int?) in
                    Thread.sleep(forTimeInterval: pause.seconds)
                    return (.current, mark.value)
                }
            }
            let seen = futures.compactMap { try? $0.result(timeout: ctx.patience) }
            ctx.expect(seen.count == 8, "only \(seen.count) of 8 jobs finished")
            ctx.expect(seen.allSatisfy { $0.1 == 1 }, "a job ran on a worker whose initializer had not run")
            let runs = initialized.value
            ctx.expect(Set(runs).count == runs.count, "the initializer ran more than once on a worker (\(runs.count) runs on \(Set(runs).count) threads)")
            ctx.expect(Set(seen.map(\.0)).isSubset(of: Set(runs)), "a job ran on a thread the initializer never ran on")
        }
    )

    static let exe010 = ClauseDefinition(
        id: "EXE-010", contract: .executor, level: .must,
        statement: "If the initializer throws, pending futures fail with a broken-executor error and later submits throw it.",
        source: "CF-DOC BrokenThreadPool",
        method: "An initializer that throws; submit a job, read its outcome, submit again.",
        hint: "Look at what the worker does when the initializer throws: it must break the pool, not swallow the error or run the job.",
        requires: [.executor, .workerInitializer],
        check: .blocking { ctx in
            let ran = Locked(false)
            let pool = try ctx.makeExecutor(maxWorkers: 2) { throw ProbeError("initializer") }
            let future = try pool.submit { () -> Int in
                ran.withLock { $0 = true }
                return 1
            }
            ctx.expectThrows(.brokenExecutor, "result() of a job on a pool whose initializer failed") { try future.result(timeout: ctx.patience) }
            ctx.expectThrows(.brokenExecutor, "submit to a broken pool") { try pool.submit { 2 } }
            ctx.expect(!ran.value, "a job ran although the initializer failed")
        }
    )

    static let exe011 = ClauseDefinition(
        id: "EXE-011", contract: .executor, level: .must,
        statement: "While a call executes its future reports running, and queued calls report neither running nor done.",
        source: "CF-DOC Future.running",
        method: "One worker: the first job waits at a gate, three more wait behind it; read every future's state, then open the gate.",
        hint: "Look at when the future is marked running: when the job starts, not when it is submitted.",
        requires: [.executor],
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let (pool, first) = (held.pool, held.holder)
            let queued = try (1...3).map { try pool.submit(ctx.sleeper(0, $0)) }
            ctx.expect(held.waitUntilHeld(), "the first job never started")
            ctx.expect(first.isRunning && !first.isDone && first.state == .running, "the running call's future is \(first.state)")
            for (index, future) in queued.enumerated() {
                ctx.expect(!future.isRunning && !future.isDone && future.state == .pending, "queued call \(index + 1) is \(future.state), not PENDING")
            }
            held.release()
            for future in queued { _ = try? future.result(timeout: ctx.patience) }
            ctx.expect(queued.allSatisfy { $0.state == .finished }, "the queued calls did not all finish")
        }
    )

    static let exe012 = ClauseDefinition(
        id: "EXE-012", contract: .executor, level: .must,
        statement: "cancel() on a queued call returns true and its job never runs; cancel() on the running call returns false.",
        source: "CF-DOC Future.cancel",
        method: "One worker: the first job waits at a gate, four jobs that log their run on a board wait behind it; cancel the second queued one and the running one, open the gate, shut down, read the log.",
        hint: "Look at the worker: before running a job it must ask the future (setRunningOrNotifyCancel) and skip a cancelled one.",
        requires: [.executor],
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let (pool, running, board) = (held.pool, held.holder, held.board)
            let queued = try (1...4).map { index in try pool.submit(Probe(board: board, [.record("ran", tag: index)], value: index)) }
            held.waitUntilHeld()
            ctx.expect(queued[1].cancel(), "cancel() on a queued call returned false")
            ctx.expect(!running.cancel(), "cancel() on the running call returned true")
            held.release()
            pool.shutdown(wait: true)
            let ran = board.records("ran").map(\.tag)
            ctx.expect(ran == [1, 3, 4], "the jobs that ran are \(ran), want [1, 3, 4]")
            ctx.expect(queued[1].isCancelled, "the cancelled call's future is \(queued[1].state)")
            ctx.expect((try? running.result(timeout: .zero)) == 0, "the running call did not finish after a refused cancel")
        }
    )

    static let exe013 = ClauseDefinition(
        id: "EXE-013", contract: .executor, level: .must,
        statement: "shutdown(wait: true) returns only after every call that was not cancelled has finished.",
        source: "CF-DOC Executor.shutdown",
        method: "Submit a 2-unit job, shut down with wait, then check the future.",
        timingRule: "shutdown returns ≥ 2 units after the submit",
        hint: "Look at shutdown(wait: true): it must wait for the queue to drain and the running calls to end.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let (future, elapsed) = try ctx.measure { () -> any ConcurrentFuture<Int> in
                let future = try pool.submit(ctx.sleeper(2, 1))
                pool.shutdown(wait: true)
                return future
            }
            ctx.expect(future.state == .finished, "after shutdown(wait: true) the call is \(future.state), not FINISHED")
            ctx.expectAtLeast(elapsed, ctx.units(2), "submit then shutdown(wait: true)")
        }
    )

    static let exe014 = ClauseDefinition(
        id: "EXE-014", contract: .executor, level: .must,
        statement: "shutdown(wait: false) returns at once without cancelling submitted work, which still completes.",
        source: "CF-DOC Executor.shutdown",
        method: "One worker, two 2-unit jobs; time shutdown(wait: false), then read both results.",
        timingRule: "shutdown returns in < 1 unit; the jobs need 4",
        hint: "Look at shutdown(wait: false): it must neither wait nor drop the queue.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let futures = try [pool.submit(ctx.sleeper(2, 1)), pool.submit(ctx.sleeper(2, 2))]
            let (_, elapsed) = ctx.measure { pool.shutdown(wait: false, cancelFutures: false) }
            ctx.expectBelow(elapsed, ctx.units(1), "shutdown(wait: false)")
            let values = futures.map { try? $0.result(timeout: ctx.patience) }
            ctx.expect(values == [1, 2], "after shutdown(wait: false) the jobs gave \(values), want [1, 2]")
        }
    )

    static let exe015 = ClauseDefinition(
        id: "EXE-015", contract: .executor, level: .must,
        statement: "shutdown(cancelFutures: true) cancels every call that has not started and lets running calls finish.",
        source: "CF-DOC Executor.shutdown (3.9+)",
        method: "One worker: a running job released after 1 unit and four queued 2-unit jobs that log their start on a board; shut down with wait and cancelFutures; read every future and the log.",
        timingRule: "shutdown returns in < 3 units (running the queue would take 8 more)",
        hint: "Look at shutdown with cancelFutures: it must cancel the queue, including work a worker took but has not started.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let (pool, running, board) = (held.pool, held.holder, held.board)
            let pause = ctx.units(2).seconds
            let queued = try (1...4).map { index in
                try pool.submit(Probe(board: board, [.record("started", tag: index), .sleep(pause)], value: index))
            }
            held.waitUntilHeld()
            let delay = ctx.units(1)
            ctx.spawn("releaser") {
                Thread.sleep(forTimeInterval: delay.seconds)
                held.release()
            }
            let (_, elapsed) = ctx.measure { pool.shutdown(wait: true, cancelFutures: true) }
            ctx.expectBelow(elapsed, ctx.units(3), "shutdown(wait: true, cancelFutures: true)")
            ctx.expect((try? running.result(timeout: .zero)) == 0, "the running call is \(running.state), not finished with its value")
            ctx.expect(queued.allSatisfy(\.isCancelled), "queued calls are \(queued.map(\.state)), not all cancelled")
            let started = board.records("started").map(\.tag)
            ctx.expect(started.isEmpty, "queued jobs \(started) ran after shutdown(cancelFutures: true)")
        }
    )

    static let exe016 = ClauseDefinition(
        id: "EXE-016", contract: .executor, level: .must,
        statement: "After shutdown, submit and map throw an executor-shut-down error, and further shutdowns are harmless.",
        source: "CF-DOC Executor.shutdown",
        method: "Shut down; submit; map; shut down again in every mode.",
        hint: "Look at the shut-down check in submit, and at shutdown's handling of a second call.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            _ = try pool.submit(ctx.sleeper(0, 1)).result(timeout: ctx.patience)
            pool.shutdown(wait: true)
            ctx.expectThrows(.executorShutDown, "submit after shutdown") { try pool.submit(ctx.sleeper(0, 2)) }
            ctx.expectThrows(.executorShutDown, "map after shutdown") {
                try pool.map([ctx.sleeper(0, 1), ctx.sleeper(0, 2)])
            }
            pool.shutdown(wait: true)
            pool.shutdown(wait: false, cancelFutures: true)
            ctx.expectThrows(.executorShutDown, "submit after repeated shutdowns") { try pool.submit(ctx.sleeper(0, 3)) }
        }
    )

    static let exe017 = ClauseDefinition(
        id: "EXE-017", contract: .executor, level: .must,
        statement: "Leaving the scoped form (withExecutor) performs shutdown(wait: true): the body runs without waiting, and the exit blocks until the submitted work has finished.",
        source: "SEED §concurrent.futures ('using a context manager … automatically joins'); CF-DOC",
        method: "The seed's wait_for example: inside withExecutor submit a 3-unit job and take the time; take it again after the block; check the future.",
        timingRule: "inside the block < 1 unit; after it ≥ 3 units and < 6 units",
        hint: "Look at shutdown(wait: true), which the scoped form calls on exit.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let clock = ContinuousClock()
            let start = clock.now
            var inside = Duration.zero
            let future = try withExecutor(try ctx.makeExecutor(maxWorkers: 2)) { pool in
                let future = try pool.submit(ctx.sleeper(3, 3))
                inside = clock.now - start
                return future
            }
            let after = clock.now - start
            ctx.expectBelow(inside, ctx.units(1), "the body of the scoped form")
            ctx.expectAtLeast(after, ctx.units(3), "leaving the scoped form")
            ctx.expectBelow(after, ctx.units(6), "leaving the scoped form")
            ctx.expect(future.state == .finished, "after the scoped form the job is \(future.state)")
        }
    )

    static let exe018 = ClauseDefinition(
        id: "EXE-018", contract: .executor, level: .must,
        statement: "When the body of the scoped form throws, the exit still waits for the submitted work and then propagates the same error.",
        source: "CF-DOC Executor.__exit__",
        method: "Inside withExecutor submit a 2-unit job, then throw an error object; catch it outside and time the whole.",
        timingRule: "the error arrives ≥ 2 units after the submit",
        hint: "Look at shutdown(wait: true), which the scoped form calls on exit.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let error = ProbeError("EXE-018")
            let futures = Locked<[any ConcurrentFuture<Int>]>([])
            let (_, elapsed) = ctx.measure {
                ctx.expectRethrows(error, "the scoped form left by an error") {
                    try withExecutor(try ctx.makeExecutor(maxWorkers: 1)) { pool in
                        let future = try pool.submit(ctx.sleeper(2, 1))
                        futures.withLock { $0.append(future) }
                        throw error
                    }
                }
            }
            ctx.expectAtLeast(elapsed, ctx.units(2), "a scoped form left by an error")
            ctx.expect(futures.value.first?.state == .finished, "the job is \(String(describing: futures.value.first?.state)) after the scoped form")
        }
    )

    static let exe019 = ClauseDefinition(
        id: "EXE-019", contract: .executor, level: .must,
        statement: "Leaving the scoped form cancels nothing: every submitted call runs, even when the body stopped waiting early.",
        source: "CF-DOC Executor.__exit__ (shutdown(wait=True), cancel_futures=False); SEED §wait example",
        method: "The seed's wait example: four jobs of 1 to 4 units on 2 workers, wait(firstCompleted) inside the block; after it, every future must be finished with its value.",
        hint: "Look at shutdown(wait: true) without cancelFutures: it must run the queue, not drop it.",
        requires: [.executor],
        check: .blocking { ctx in
            let futures = try withExecutor(try ctx.makeExecutor(maxWorkers: 2)) { pool in
                let futures = try (1...4).map { try pool.submit(ctx.sleeper(Double($0), $0)) }
                let (done, _) = ctx.wait(futures, timeout: ctx.patience, returnWhen: .firstCompleted)
                ctx.expect(!done.isEmpty, "wait(firstCompleted) returned nothing done")
                return futures
            }
            let values = futures.map { try? $0.result(timeout: .zero) }
            ctx.expect(values == [1, 2, 3, 4], "after the scoped form the results are \(values) (states \(futures.map(\.state)))")
        }
    )

    static let exe021 = ClauseDefinition(
        id: "EXE-021", contract: .executor, level: .should,
        statement: "A job that waits on another job of the same saturated pool stays blocked: the pool does not run the inner job inline.",
        source: "CF-DOC ThreadPoolExecutor (the deadlock examples)",
        method: "One worker: the outer job submits an inner job and waits 2 units for it; the outer job reports whether that wait timed out.",
        hint: "Look for a submit or result() that runs queued work on the calling thread.",
        requires: [.executor],
        excludes: [.processIsolation], exclusionReason: jobUsesItsOwnPool,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let wait = ctx.units(2)
            let outer = try pool.submit { () -> String in
                let inner = try pool.submit { 1 }
                do {
                    _ = try inner.result(timeout: wait)
                    return "inner ran while the only worker was busy"
                } catch ConcurrencyError.timeout {
                    return "blocked"
                }
            }
            let outcome = try? outer.result(timeout: ctx.patience)
            ctx.expect(outcome == "blocked", "the outer job reported \(String(describing: outcome))")
        }
    )

    static let exe022 = ClauseDefinition(
        id: "EXE-022", contract: .executor, level: .must,
        statement: "A job that throws never kills its worker: later jobs still run, on the same worker when the pool owns its threads.",
        source: "CF-DOC Executor.submit; ThreadPoolExecutor worker loop",
        method: "One worker: five throwing jobs, then a job that returns; every job logs its worker (pid:tid) on a board; where the pool owns its workers (threads or processes), the last job's worker must be the throwing jobs' one.",
        hint: "Look at the worker loop: the job's error must be caught around the job, not around the loop.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let board = try ctx.makeBoard()
            let failing = try (0..<5).map { index in
                try pool.submit(Probe(board: board, [.record("failed", tag: index), .fail("job \(index)")]))
            }
            for future in failing { _ = try? future.exception(timeout: ctx.patience) }
            let last = try pool.submit(Probe(board: board, [.record("after", tag: 5)], value: 5))
            let value = ctx.expectNoThrow("the job after five failures") { try last.result(timeout: ctx.patience) }
            ctx.expect(value == nil || value == 5, "the job after five failures returned \(String(describing: value)), not 5")
            if ctx.workersAreOwned, value != nil {
                let before = Set(board.records("failed").map(\.worker))
                let after = Set(board.records("after").map(\.worker))
                ctx.expect(before.count == 1 && after == before, "the worker changed after failures: \(before.sorted()) before, \(after.sorted()) after")
            }
        }
    )

    static let exe023 = ClauseDefinition(
        id: "EXE-023", contract: .executor, level: .must,
        statement: "Every job submitted before a joined shutdown runs exactly once, with its own result, even when many threads submit at once.",
        source: "Derived: thread safety of Executor.submit",
        method: "Four threads submit 250 jobs each to a 2-worker pool; each job logs its index on a board; shut down with wait, then check every job's runs in the log and every result.",
        hint: "Look at the queue: an append or removal outside one critical section loses or repeats jobs.",
        requires: [.executor], timing: .exclusive, budgetUnits: 100,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let board = try ctx.makeBoard()
            let perThread = 250
            let futures = Locked<[(Int, any ConcurrentFuture<Int>)]>([])
            let go = Latch(count: 1)
            let submitters = (0..<4).map { thread in
                ctx.spawn("submitter \(thread)") {
                    go.wait(timeout: ctx.patience)
                    for offset in 0..<perThread {
                        let index = thread * perThread + offset
                        let future = try pool.submit(Probe(board: board, [.record("runs", tag: index)], value: index))
                        futures.withLock { $0.append((index, future)) }
                    }
                }
            }
            go.arrive()
            for submitter in submitters { submitter.wait(timeout: ctx.patience) }
            pool.shutdown(wait: true)
            let wrong = futures.value.filter { index, future in (try? future.result(timeout: .zero)) != index }
            ctx.expect(futures.value.count == 4 * perThread, "\(futures.value.count) submits returned, not \(4 * perThread)")
            ctx.expect(wrong.isEmpty, "\(wrong.count) futures have no result or a wrong one after a joined shutdown")
            var counts = [Int](repeating: 0, count: 4 * perThread)
            for record in board.records("runs") where counts.indices.contains(record.tag) { counts[record.tag] += 1 }
            let missing = counts.filter { $0 == 0 }.count
            let repeated = counts.filter { $0 > 1 }.count
            ctx.expect(missing == 0 && repeated == 0, "\(missing) jobs never ran and \(repeated) ran more than once")
        }
    )

    static let exe024 = ClauseDefinition(
        id: "EXE-024", contract: .executor, level: .must,
        statement: "When two threads call shutdown(wait: true) at once, both return only after the work has finished.",
        source: "CF-DOC Executor.shutdown (any number of calls; wait=True waits)",
        method: "One worker runs a 2-unit job; two threads released together call shutdown(wait: true) and each checks the job's future when its call returns.",
        hint: "Look at a second shutdown arriving while the first is joining: with wait it must wait too.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let future = try pool.submit(ctx.sleeper(2, 1))
            let go = Latch(count: 1)
            let callers = (0..<2).map { caller in
                ctx.spawn("shutdown caller \(caller)") {
                    go.wait(timeout: ctx.patience)
                    pool.shutdown(wait: true)
                    ctx.expect(future.isDone, "shutdown(wait: true) by caller \(caller) returned while the job was \(future.state)")
                }
            }
            go.arrive()
            for caller in callers { caller.wait(timeout: ctx.patience) }
        }
    )

    static let exe025 = ClauseDefinition(
        id: "EXE-025", contract: .executor, level: .must,
        statement: "A worker that went idle picks up new work promptly: a submit wakes it.",
        source: "Derived: Executor.submit schedules the call (no lost wake-up)",
        method: "Run a job on a 1-worker pool, let the worker idle for 3 units, then time a submit-and-result of a trivial job.",
        timingRule: "the round trip after idling takes < 2 units",
        hint: "Look at how submit wakes a parked worker; a worker that only polls now and then is too slow.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            _ = try? pool.submit(ctx.sleeper(0, 0)).result(timeout: ctx.patience)
            ctx.sleep(units: 3)
            let (value, elapsed) = ctx.measure { try? pool.submit(ctx.sleeper(0, 1)).result(timeout: ctx.patience) }
            ctx.expect(value == 1, "the job after idling returned \(String(describing: value))")
            ctx.expectBelow(elapsed, ctx.units(2), "a submit-and-result after the worker idled")
        }
    )

    static let exe026 = ClauseDefinition(
        id: "EXE-026", contract: .executor, level: .must,
        statement: "Calls start in the order they were submitted: on a single worker they run first in, first out.",
        source: "CPython concurrent/futures/thread.py (a FIFO work queue)",
        method: "One worker held at a gate; eight jobs that log their run on a board queued behind it; open the gate, shut down with wait, read the log.",
        hint: "Look at the queue discipline: append at the back, take from the front.",
        requires: [.executor],
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let (pool, board) = (held.pool, held.board)
            for index in 1...8 {
                _ = try pool.submit(Probe(board: board, [.record("order", tag: index)], value: index))
            }
            held.release()
            pool.shutdown(wait: true)
            let order = board.records("order").map(\.tag)
            ctx.expect(order == Array(1...8), "the jobs ran in the order \(order)")
        }
    )

    static let exe027 = ClauseDefinition(
        id: "EXE-027", contract: .executor, level: .must,
        statement: "A job may submit work to its own pool, and the nested call completes when a worker is free for it.",
        source: "CF-DOC Executor.submit (callable from any thread)",
        method: "Two workers: an outer job submits an inner job and waits for its result.",
        hint: "Look at submit from a worker thread: it must neither be refused nor deadlock on the pool's own lock.",
        requires: [.executor],
        excludes: [.processIsolation], exclusionReason: jobUsesItsOwnPool,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let outer = try pool.submit { () -> Int in
                try pool.submit { 20 }.result(timeout: ctx.patience) + 1
            }
            let value = ctx.expectNoThrow("the outer job") { try outer.result(timeout: ctx.patience) }
            ctx.expect(value == 21, "the outer job returned \(String(describing: value)), not 21")
        }
    )

    static let exe028 = ClauseDefinition(
        id: "EXE-028", contract: .executor, level: .must,
        statement: "maxWorkers blocking calls run at once even when maxWorkers exceeds the number of cores.",
        source: "CF-DOC ThreadPoolExecutor (threads for I/O-bound work; the default exceeds the core count)",
        method: "With n = cores + 2, start the n workers of a pool of n, then submit n 2-unit sleeps and time them all.",
        timingRule: "≥ 2 units and < 3 units (a pool that runs only as many calls as there are cores needs ≥ 4)",
        hint: "Look for a pool that sizes itself by the core count, or an engine that lends fewer threads than asked.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let count = ProcessInfo.processInfo.activeProcessorCount + 2
            let pool = try ctx.makeWarmExecutor(maxWorkers: count)
            let (values, elapsed) = try ctx.measure {
                let futures = try (0..<count).map { try pool.submit(ctx.sleeper(2, $0)) }
                return futures.map { try? $0.result(timeout: ctx.patience) }
            }
            ctx.expect(values == (0..<count).map(Optional.some), "the results were \(values)")
            ctx.expectAtLeast(elapsed, ctx.units(2), "\(count) 2-unit calls")
            ctx.expectBelow(elapsed, ctx.units(3), "\(count) 2-unit calls on \(count) workers")
        }
    )

    static let exe029 = ClauseDefinition(
        id: "EXE-029", contract: .executor, level: .must,
        statement: "An executor that starts its own worker threads has joined them when shutdown(wait: true) returns: none outlives it.",
        source: "CF-DOC Executor.shutdown ('the executor … will be freed'); SEED ('automatically joins')",
        method: "Jobs on 3 workers record their kernel thread IDs; after shutdown(wait: true), and after leaving the scoped form, every one must be gone from the kernel's thread list (Linux; elsewhere a visible skip).",
        timingRule: "every thread is gone within 2 units of shutdown's return (the kernel lists a joined thread for a moment after pthread_join)",
        hint: "Look at shutdown(wait: true): it must join its threads, not just wait for the queue.",
        requires: [.executor, .ownsWorkerThreads], timing: .realTime,
        check: .blocking { ctx in
            guard OSThreadID.current != nil else {
                try ctx.skip("this platform does not list a process's threads, so a thread's exit cannot be observed")
            }
            func workers(_ pool: any ConcurrentExecutor) throws -> [OSThreadID] {
                let pause = ctx.units(0.5)
                let futures = try (0..<6).map { _ in
                    try pool.submit { () -> OSThreadID? in
                        Thread.sleep(forTimeInterval: pause.seconds)
                        return OSThreadID.current
                    }
                }
                return futures.compactMap { try? $0.result(timeout: ctx.patience) ?? nil }
            }
            func expectGone(_ threads: [OSThreadID], _ what: String) {
                let alive = keepFiltering(Array(Set(threads)), within: ctx.units(2), every: .milliseconds(1)) { $0.isAlive }
                ctx.expect(alive.isEmpty, "\(what): \(alive.count) of \(Set(threads).count) worker threads are still alive")
            }
            let pool = try ctx.makeExecutor(maxWorkers: 3)
            let threads = try workers(pool)
            pool.shutdown(wait: true)
            expectGone(threads, "after shutdown(wait: true)")
            let scoped = try withExecutor(try ctx.makeExecutor(maxWorkers: 3)) { try workers($0) }
            expectGone(scoped, "after the scoped form")
        }
    )
}

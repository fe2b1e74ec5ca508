import ConcurrencySpec
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension CheckContext {
    /// Waits for `future` and returns the error it failed with, or records a
    /// failure when it succeeded or was still pending after `within`.
    func processFailure<Value: Sendable>(
        of future: any ConcurrentFuture<Value>,
        within: Duration? = nil,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line
    ) -> (any Error)? {
        do {
            let value = try future.result(timeout: within ?? patience)
            fail("\(what) returned \(value) instead of failing", fileID: fileID, line: line)
            return nil
        } catch ConcurrencyError.timeout {
            fail("\(what) was still not done after \(format(within ?? patience))", fileID: fileID, line: line)
            return nil
        } catch {
            return error
        }
    }

    /// Records a failure unless `error` is the given kind of ``ConcurrencyError``.
    @discardableResult
    func expectKind(
        _ error: (any Error)?,
        _ kind: ConcurrencyError.Kind,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line
    ) -> ConcurrencyError? {
        guard let error else { return nil }
        guard let typed = error as? ConcurrencyError, typed.kind == kind else {
            fail("\(what) failed with \(describe(error)), not \(kind)", fileID: fileID, line: line)
            return nil
        }
        return typed
    }

    /// The worker pids a pool answers with, one call at a time.
    func workerPIDs(_ pool: any ConcurrentExecutor, calls: Int) -> [Int32] {
        (0..<calls).compactMap { _ in
            let future = try? pool.submit(ProcessJobs.WorkerPID())
            return try? future?.result(timeout: patience)
        }
    }
}

/// The PROC group: process pools, from the seed's `ProcessPoolExecutor` and
/// `multiprocessing` sections and Python's documentation.
enum ProcessClauses {
    static let all: [ClauseDefinition] = [
        proc001, proc002, proc003, proc004, proc005, proc006, proc007, proc008, proc009, proc010, proc011,
        proc012, proc013, proc014, proc015,
    ]

    static let proc001 = ClauseDefinition(
        id: "PROC-001", contract: .executor, level: .must,
        statement: "A process pool runs every call in a worker process other than the submitting one, and by default one worker serves call after call.",
        source: "CF-DOC ProcessPoolExecutor; SEED §multiprocessing",
        method: "On a one-worker pool, submit a job returning getpid() three times, one after the other; compare the three pids with each other and with the submitter's.",
        hint: "Look at where the pool runs a job (it must not fall back to a thread of this process) and whether it starts a new worker for every call.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            let pids = ctx.workerPIDs(pool, calls: 3)
            guard ctx.expect(pids.count == 3, "only \(pids.count) of 3 getpid() calls returned") else { return }
            ctx.expect(!pids.contains(getpid()), "a call ran in the submitting process (pid \(getpid())): \(pids)")
            ctx.expect(Set(pids).count == 1, "one worker did not serve all three calls: pids \(pids)")
        }
    )

    static let proc002 = ClauseDefinition(
        id: "PROC-002", contract: .executor, level: .must,
        statement: "State that a call changes in its worker process is not visible in the submitting process.",
        source: "SEED §multiprocessing (\"run independently\")",
        method: "Three calls each add one to a counter global to the process that runs them; the submitter's own counter must not move, and each call sees at least its own increment.",
        hint: "Look for calls run in the submitting process, or state shared with it.",
        requires: [.processPool],
        check: .blocking { ctx in
            let before = ProcessJobs.CountInWorker.valueHere
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            let counts = (0..<3).compactMap { _ in
                try? pool.submit(ProcessJobs.CountInWorker()).result(timeout: ctx.patience)
            }
            ctx.expect(counts.count == 3 && counts.allSatisfy { $0 >= 1 }, "the workers' counters read \(counts)")
            ctx.expect(
                ProcessJobs.CountInWorker.valueHere == before,
                "the submitting process's counter moved from \(before) to \(ProcessJobs.CountInWorker.valueHere)"
            )
        }
    )

    static let proc003 = ClauseDefinition(
        id: "PROC-003", contract: .executor, level: .must,
        statement: "A call whose job, result or callable cannot be encoded or decoded fails its own future with an unserializable error naming the type, submit does not throw, and the pool goes on serving.",
        source: "SEED §Pickable data (incomplete: the callable must be picklable too); CF-DOC",
        method: "Submit a job whose encoding throws, a job whose result's encoding throws in the worker, a job that fails to decode in the worker, and a closure; each future must fail with unserializable naming the type; then a normal call must return.",
        hint: "Look at where the pool encodes jobs and decodes results: an encoding error belongs to that call's future, never to submit or to the pool.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            func expectUnserializable<Value: Sendable>(
                _ what: String, naming name: String, _ submit: () throws -> any ConcurrentFuture<Value>
            ) {
                guard let future = ctx.expectNoThrow("submit of \(what)", submit) else { return }
                let error = ctx.processFailure(of: future, what)
                guard let typed = ctx.expectKind(error, .unserializable, what),
                      case .unserializable(let type, _) = typed else { return }
                ctx.expect(type.contains(name), "the error for \(what) names \(type), not \(name)")
            }
            expectUnserializable("a job that cannot be encoded", naming: "NotEncodable") {
                try pool.submit(ProcessJobs.NotEncodable())
            }
            expectUnserializable("a result that cannot be encoded", naming: "WorkerResource") {
                try pool.submit(ProcessJobs.ResultNotEncodable())
            }
            expectUnserializable("a job that cannot be decoded in the worker", naming: "NotDecodableInWorker") {
                try pool.submit(ProcessJobs.NotDecodableInWorker())
            }
            expectUnserializable("a closure", naming: "closure") {
                try pool.submit { () -> Int in 1 }
            }
            let after = try? pool.submit(ProcessJobs.Square(7)).result(timeout: ctx.patience)
            ctx.expect(after == 49, "a call after the failures returned \(String(describing: after)), not 49")
        }
    )

    static let proc004 = ClauseDefinition(
        id: "PROC-004", contract: .executor, level: .must,
        statement: "An error a job throws in a worker reaches result() with its own type and contents when the job lists it as portable, and otherwise as a RemoteJobError naming its type and carrying its description.",
        source: "CF-DOC",
        method: "A job throws a portable error it lists, then a job throws a plain error; compare the first with what was thrown and read the type name and message of the second.",
        hint: "Look at how the worker encodes a thrown error and how the pool decodes it with the job's portableErrors.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            let portable = try pool.submit(ProcessJobs.FailInWorker(message: "PROC-004 portable", portable: true))
            if let error = ctx.processFailure(of: portable, "a job throwing a portable error") {
                ctx.expect(
                    (error as? ProcessJobs.WorkerFailure) == ProcessJobs.WorkerFailure(message: "PROC-004 portable"),
                    "the portable error arrived as \(ctx.describe(error))"
                )
            }
            let plain = try pool.submit(ProcessJobs.FailInWorker(message: "PROC-004 plain", portable: false))
            if let error = ctx.processFailure(of: plain, "a job throwing a plain error") {
                if let remote = error as? RemoteJobError {
                    ctx.expect(remote.typeName.hasSuffix("LocalFailure"), "the remote error names \(remote.typeName)")
                    ctx.expect(remote.message.contains("PROC-004 plain"), "the remote error says \(remote.message)")
                } else {
                    ctx.fail("the plain error arrived as \(ctx.describe(error)), not a RemoteJobError")
                }
            }
        }
    )

    static let proc005 = ClauseDefinition(
        id: "PROC-005", contract: .executor, level: .must,
        statement: "When a worker process dies abruptly, the call it ran and every call not yet finished fail with a broken-executor error within 20 units, and later submits throw that error at once.",
        source: "CF-DOC BrokenProcessPool",
        method: "On a one-worker pool, a job calls _exit(3) once three more calls are queued behind it (a gate on the check's board); time from opening the gate until all four futures fail, then submit once more.",
        timingRule: "all four fail within 20 units (1 s at scale 1); a pool that misses the death never completes them",
        hint: "Look at what the pool does when a worker's connection ends unexpectedly: it must fail every outstanding and queued call and refuse new ones.",
        requires: [.processPool], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            let board = try ctx.makeBoard()
            _ = ctx.workerPIDs(pool, calls: 1)
            // The worker exits only once the three other calls are queued.
            let dying = try pool.submit(ProcessJobs.ExitWorker(status: 3, after: "queued", on: board))
            let waiting = try (0..<3).map { _ in try pool.submit(ProcessJobs.SleepInWorker(seconds: 0)) }
            let start = ContinuousClock.now
            board.open("queued")
            let deadline = start + ctx.units(20)
            ctx.expectKind(ctx.processFailure(of: dying, within: max(.zero, deadline - .now), "the call whose worker died"),
                           .brokenExecutor, "the call whose worker died")
            for (index, future) in waiting.enumerated() {
                ctx.expectKind(ctx.processFailure(of: future, within: max(.zero, deadline - .now), "pending call \(index)"),
                               .brokenExecutor, "pending call \(index)")
            }
            ctx.expectThrows(.brokenExecutor, "submit after the worker died") { try pool.submit(ProcessJobs.WorkerPID()) }
        }
    )

    static let proc006 = ClauseDefinition(
        id: "PROC-006", contract: .executor, level: .must,
        statement: "If the initializer throws in a worker process, the pool breaks: pending calls fail with a broken-executor error and later submits throw it.",
        source: "CF-DOC ProcessPoolExecutor initializer",
        method: "A one-worker pool whose initializer throws gets three calls; each must fail with brokenExecutor (a submit made after the pool broke must throw it instead), then submit must throw it.",
        hint: "Look at how the pool learns the initializer's outcome; a failed initializer must not be ignored.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1, initializer: ProcessJobs.MarkWorker(fail: true))
            // The first call starts the worker; the pool may break before
            // the next submits, which must then throw the same error.
            var futures = [try pool.submit(ProcessJobs.WorkerPID())]
            for index in 1..<3 {
                do {
                    futures.append(try pool.submit(ProcessJobs.WorkerPID()))
                } catch let error as ConcurrencyError where error.kind == .brokenExecutor {
                    continue
                } catch {
                    ctx.fail("submit \(index) threw \(ctx.describe(error)), not brokenExecutor")
                }
            }
            for (index, future) in futures.enumerated() {
                ctx.expectKind(ctx.processFailure(of: future, "call \(index)"), .brokenExecutor, "call \(index)")
            }
            ctx.expectThrows(.brokenExecutor, "submit after the initializer failed") { try pool.submit(ProcessJobs.WorkerPID()) }
        }
    )

    static let proc007 = ClauseDefinition(
        id: "PROC-007", contract: .executor, level: .must,
        statement: "A process pool's default worker count is the number of processors online, and a worker count of zero or less is refused with an invalid-argument error.",
        source: "CF-DOC ProcessPoolExecutor",
        method: "Read maxWorkers of a pool made with the default and compare it with sysconf(_SC_NPROCESSORS_ONLN); create pools with 0 and -1 workers.",
        hint: "Look at the default (os.cpu_count(), not the thread pool's min(32, cores + 4)) and at the argument check.",
        requires: [.processPool],
        check: .blocking { ctx in
            let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let pool = try ctx.makeProcessPool(maxWorkers: nil)
            ctx.expect(pool.maxWorkers == cores, "the default is \(pool.maxWorkers) workers, not \(cores) (the processors online)")
            for workers in [0, -1] {
                ctx.expectThrows(.invalidArgument, "a process pool with maxWorkers \(workers)") {
                    try ctx.makeProcessPool(maxWorkers: workers)
                }
            }
        }
    )

    static let proc008 = ClauseDefinition(
        id: "PROC-008", contract: .executor, level: .should,
        statement: "With maxTasksPerChild n, a worker process is replaced by a fresh one after n calls.",
        source: "CF-DOC ProcessPoolExecutor (3.11)",
        method: "A one-worker pool with maxTasksPerChild 1 answers three getpid() calls made one after the other; the three pids must differ.",
        hint: "Look at how the pool counts calls per worker and retires a worker at the limit.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1, maxTasksPerChild: 1)
            let pids = ctx.workerPIDs(pool, calls: 3)
            guard ctx.expect(pids.count == 3, "only \(pids.count) of 3 getpid() calls returned") else { return }
            ctx.expect(Set(pids).count == 3, "three calls with maxTasksPerChild 1 ran in workers \(pids)")
        }
    )

    static let proc009 = ClauseDefinition(
        id: "PROC-009", contract: .executor, level: .should,
        statement: "CPU-bound calls on two worker processes run at the same time: their execution intervals overlap.",
        source: "SEED §GIL (\"The most common path … is to use multiprocessing\")",
        method: "Two workers are started, then two calls each keep a core busy for 3 units and report their start and end on CLOCK_MONOTONIC; the later start must come before the earlier end.",
        timingRule: "the intervals overlap; a pool that runs CPU-bound calls one after the other gives disjoint intervals. No speed-up is asserted (one core may be busy): the benchmarks measure it",
        hint: "Look for a pool that serializes its workers, or starts a second worker only after the first is done.",
        requires: [.processPool], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 2)
            // Start both workers first, so spawning does not stagger the spins.
            ctx.warmUp(pool, workers: 2, units: 1)
            let spins = try (0..<2).map { _ in try pool.submit(ProcessJobs.SpinInWorker(seconds: ctx.units(3).seconds)) }
            let intervals = spins.compactMap { try? $0.result(timeout: ctx.patience) }
            guard ctx.expect(intervals.count == 2, "only \(intervals.count) of 2 CPU-bound calls returned") else { return }
            let laterStart = max(intervals[0][0], intervals[1][0])
            let earlierEnd = min(intervals[0][1], intervals[1][1])
            ctx.expect(
                laterStart < earlierEnd,
                "the CPU-bound calls ran one after the other: the second started \(Double(laterStart - earlierEnd) / 1e6) ms after the first ended"
            )
        }
    )

    static let proc010 = ClauseDefinition(
        id: "PROC-010", contract: .executor, level: .must,
        statement: "A worker killed by SIGKILL in the middle of a call breaks the pool within 20 units, and the killed process is reaped, never left a zombie.",
        source: "CF-DOC BrokenProcessPool; issue: reliability",
        method: "Learn the pid of a one-worker pool's worker, have it SIGKILL itself 1 unit into a call, time until the call fails; after shutdown(wait: true) that pid must no longer be a child of the submitter.",
        timingRule: "the call fails within 20 units of the kill (1 s at scale 1)",
        hint: "Look at how the pool notices a dead worker (end of its stream) and whether it waits for the process with waitpid.",
        requires: [.processPool], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            guard let pid = ctx.workerPIDs(pool, calls: 1).first, let worker = ChildProcess.lookUp(pid) else {
                ctx.fail("the worker never answered getpid(), or is not a child of this process")
                return
            }
            let killed = try pool.submit(ProcessJobs.KillWorker(delay: ctx.units(1).seconds))
            let error = ctx.processFailure(of: killed, within: ctx.units(21), "the call whose worker was killed")
            ctx.expectKind(error, .brokenExecutor, "the call whose worker was killed")
            pool.shutdown(wait: true)
            if worker.isStillAChild {
                ctx.fail("the killed worker \(worker) is still a child of this process after shutdown(wait: true)")
            }
        }
    )

    static let proc011 = ClauseDefinition(
        id: "PROC-011", contract: .executor, level: .must,
        statement: "A frame from a worker that does not follow the protocol, such as an oversized length, breaks the pool instead of crashing or stalling the submitting process.",
        source: "issue: reliability (a garbled frame is a broken pool)",
        method: "A job writes a frame header announcing 4 GiB on its connection, then returns normally; its future must fail with brokenExecutor and the submitter must live on.",
        hint: "Look at how the pool reads frames: a length above its limit is a protocol error, not a reason to wait for 4 GiB.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            let garbled = try pool.submit(ProcessJobs.GarbleStream())
            ctx.expectKind(ctx.processFailure(of: garbled, "the call that garbled its stream"), .brokenExecutor, "the call that garbled its stream")
            ctx.expectThrows(.brokenExecutor, "submit after a garbled frame") { try pool.submit(ProcessJobs.WorkerPID()) }
        }
    )

    static let proc012 = ClauseDefinition(
        id: "PROC-012", contract: .executor, level: .must,
        statement: "shutdown(wait: true) returns only after every worker process has exited and been reaped: none remains, running or as a zombie.",
        source: "SEED §concurrent.futures (\"automatically joins threads/processes\"); CF-DOC shutdown",
        method: "Two overlapping calls reveal both workers' pids; after shutdown(wait: true) neither pid may be a child of the submitter.",
        hint: "Look at shutdown: it must close the workers and wait for each with waitpid before returning.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 2)
            let futures = try (0..<2).map { _ in try pool.submit(ProcessJobs.SleepInWorker(seconds: ctx.units(2).seconds)) }
            let workers = Set(futures.compactMap { try? $0.result(timeout: ctx.patience) }).compactMap(ChildProcess.lookUp)
            ctx.expect(!workers.isEmpty, "no call returned its worker's pid")
            pool.shutdown(wait: true)
            let left = workers.filter(\.isStillAChild)
            ctx.expect(left.isEmpty, "after shutdown(wait: true) these workers are still children: \(left)")
        }
    )

    static let proc013 = ClauseDefinition(
        id: "PROC-013", contract: .executor, level: .must,
        statement: "map with a chunksize yields every result in input order, the last shorter chunk included, and a chunksize below 1 is refused with an invalid-argument error.",
        source: "CF-DOC ProcessPoolExecutor.map (chunksize)",
        method: "Map n × n over 0..<23 with chunksizes 1, 5 and 100 on two workers and compare with the squares in order; map with chunksize 0.",
        hint: "Look at how map cuts its input into chunks and puts the results back in order.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 2)
            let inputs = Array(0..<23)
            for chunksize in [1, 5, 100] {
                let results = ctx.expectNoThrow("map with chunksize \(chunksize)") {
                    try pool.map(inputs.map(ProcessJobs.Square.init), timeout: ctx.patience, chunksize: chunksize).collect()
                }
                ctx.expect(results == inputs.map { $0 * $0 }, "chunksize \(chunksize) gave \(String(describing: results))")
            }
            ctx.expectThrows(.invalidArgument, "map with chunksize 0") {
                try pool.map(inputs.map(ProcessJobs.Square.init), timeout: nil, chunksize: 0)
            }
        }
    )

    static let proc014 = ClauseDefinition(
        id: "PROC-014", contract: .executor, level: .must,
        statement: "A call whose job type the worker program does not register fails its own future with an unserializable error naming the job, and the pool goes on serving.",
        source: "SEED §Pickable data; CF-DOC (a worker must be able to import the callable)",
        method: "Submit a job type that no worker program registers, then a normal call.",
        hint: "Look at how the worker answers an unknown job name: that call fails, the worker and the pool live on.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1)
            let unknown = try pool.submit(ProcessJobs.Unregistered())
            if let typed = ctx.expectKind(ctx.processFailure(of: unknown, "an unregistered job"), .unserializable, "an unregistered job"),
               case .unserializable(let type, _) = typed {
                ctx.expect(type.contains("Unregistered"), "the error names \(type), not the job")
            }
            let after = try? pool.submit(ProcessJobs.Square(6)).result(timeout: ctx.patience)
            ctx.expect(after == 36, "a call after the unknown job returned \(String(describing: after)), not 36")
        }
    )

    static let proc015 = ClauseDefinition(
        id: "PROC-015", contract: .executor, level: .must,
        statement: "The initializer runs once in each worker process, before that worker's first call.",
        source: "CF-DOC ProcessPoolExecutor initializer",
        method: "A one-worker pool whose initializer counts its runs in the worker answers three calls that read the count and the pid: each must read 1 from the same worker.",
        hint: "Look at when the pool sends the initializer: once per new worker, before any call.",
        requires: [.processPool],
        check: .blocking { ctx in
            let pool = try ctx.makeProcessPool(maxWorkers: 1, initializer: ProcessJobs.MarkWorker())
            let reads = (0..<3).compactMap { _ in try? pool.submit(ProcessJobs.ReadWorkerMark()).result(timeout: ctx.patience) }
            guard ctx.expect(reads.count == 3, "only \(reads.count) of 3 calls returned") else { return }
            ctx.expect(reads.allSatisfy { $0.first == 1 }, "the initializer had run \(reads.map { $0[0] }) times when the calls ran, not once")
            ctx.expect(Set(reads.map { $0[1] }).count == 1, "the calls ran in several workers: \(reads.map { $0[1] })")
        }
    )
}

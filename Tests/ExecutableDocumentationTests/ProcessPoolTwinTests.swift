import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
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

/// The outcome of a call that is expected to fail.
private func failure<Value>(of future: any ConcurrentFuture<Value>) throws -> ConcurrencyError? {
    try future.exception(timeout: Twin.seconds(200)) as? ConcurrencyError
}

@Suite("Seed: ProcessPoolExecutor and multiprocessing")
struct ProcessPoolTwinTests {
    /// Seed §concurrent.futures, `Executor.map()`, the program exactly as the
    /// seed gives it, with the process pool it names:
    ///
    /// ```python
    /// def main():
    ///     with concurrent.futures.ProcessPoolExecutor() as executor:
    ///         results_generator = executor.map(is_prime, PRIMES)
    ///         for number, prime in zip(PRIMES, results_generator):
    ///             print('%d is prime: %s' % (number, prime))
    ///
    /// if __name__ == '__main__':
    ///     main()
    /// ```
    /// The Swift twin of `is_prime` is the portable job `IsPrime` (its type is
    /// the callable, `n` its argument), which the `concurrency-worker`
    /// program registers; that program is the `__main__` guard's Swift form,
    /// since a spawned worker must not run the test program. Each result is
    /// read as the `zip` reads it, one at a time in input order, and printed
    /// as Python prints a `bool`.
    @Test func isPrimeOverAProcessPoolPrintsTheSeedsLines() async throws {
        let (lines, workers) = try await Twin.timed(budget: 1200) { () throws -> ([String], [Int32]) in
            try withExecutor(try ProcessPoolExecutor()) { executor in
                let resultsGenerator = try executor.map(PRIMES.map(IsPrime.init))
                var lines: [String] = []
                var numbers = PRIMES.makeIterator()
                while let number = numbers.next(), let prime = try resultsGenerator.next() {
                    lines.append("\(number) is prime: \(prime ? "True" : "False")")
                }
                return (lines, executor.workerProcessIDs)
            }
        }
        #expect(lines == Twin.primeLines)
        #expect(!workers.isEmpty && !workers.contains(getpid()), "the calls did not run in worker processes")
    }

    /// Seed §Pickable data: "The arguments passed to a multi-processing
    /// process and the values returned by them must be serializable". An
    /// argument that cannot be encoded (Python: a lock, a socket) fails the
    /// call's own future with `PicklingError`'s twin, which names the job's
    /// type; nothing reaches a worker, and the pool goes on with the same
    /// worker.
    @Test func anArgumentThatCannotBeEncodedFailsItsFutureNamingTheType() async throws {
        let (error, before, after) = try await Twin.blocking { () throws -> (ConcurrencyError?, Int32, Int32) in
            try withExecutor(try ProcessPoolExecutor(maxWorkers: 1)) { executor in
                let before = try executor.submit(WorkerProcessID()).result(timeout: Twin.seconds(200))
                let error = try failure(of: try executor.submit(ProcessJobs.NotEncodable()))
                let after = try executor.submit(WorkerProcessID()).result(timeout: Twin.seconds(200))
                return (error, before, after)
            }
        }
        let typeName = String(reflecting: ProcessJobs.NotEncodable.self)
        guard case .unserializable(let type, let reason)? = error else {
            Issue.record("expected unserializable, got \(String(describing: error))")
            return
        }
        #expect(type == typeName)
        #expect(reason.contains("could not be encoded"), "\(reason)")
        #expect(error?.pythonName == "PicklingError")
        #expect("\(error!)".contains(typeName), "the message does not name the type: \(error!)")
        #expect(before == after, "the worker was replaced: a failed encoding must not cost a worker")
    }

    /// Seed §Pickable data, the other half: "… and the values returned by
    /// them". A result the worker cannot encode (one that belongs to the
    /// worker process, as a lock does) fails that call's future naming the
    /// result's type; the worker and the pool go on.
    @Test func aResultThatCannotBeEncodedFailsItsFutureNamingTheType() async throws {
        let (error, before, after) = try await Twin.blocking { () throws -> (ConcurrencyError?, Int32, Int32) in
            try withExecutor(try ProcessPoolExecutor(maxWorkers: 1)) { executor in
                let before = try executor.submit(WorkerProcessID()).result(timeout: Twin.seconds(200))
                let error = try failure(of: try executor.submit(ProcessJobs.ResultNotEncodable()))
                let after = try executor.submit(WorkerProcessID()).result(timeout: Twin.seconds(200))
                return (error, before, after)
            }
        }
        guard case .unserializable(let type, let reason)? = error else {
            Issue.record("expected unserializable, got \(String(describing: error))")
            return
        }
        #expect(type == String(reflecting: ProcessJobs.WorkerResource.self))
        #expect(reason.contains("result could not be encoded"), "\(reason)")
        #expect(error?.pythonName == "PicklingError")
        #expect(before == after, "the worker was replaced: a result that cannot travel must not cost a worker")
    }

    /// Appendix B #16: the seed's rule is incomplete, the callable itself
    /// must be picklable too (a local lambda fails with "Can't pickle local
    /// object"). A Swift closure cannot leave its process at all: submitting
    /// one to a process pool fails its future the same way, naming it as a
    /// closure, and the pool stays usable.
    @Test func aClosureCannotBeSentToAWorkerProcess() async throws {
        let (error, mapped, echoed) = try await Twin.blocking { () throws -> (ConcurrencyError?, [ConcurrencyError?], Int) in
            try withExecutor(try ProcessPoolExecutor(maxWorkers: 1)) { executor in
                let error = try failure(of: try executor.submit { 42 })
                let mapped = try executor.map([1, 2]) { $0 * 2 }.underlyingFutures.map { try failure(of: $0) }
                let echoed = try executor.submit(Echo(7)).result(timeout: Twin.seconds(200))
                return (error, mapped, echoed)
            }
        }
        guard case .unserializable(let type, let reason)? = error else {
            Issue.record("expected unserializable, got \(String(describing: error))")
            return
        }
        #expect(type.hasPrefix("closure"), "\(type)")
        #expect(reason.contains("PortableJob"), "the error does not say what to submit instead: \(reason)")
        #expect(error?.pythonName == "PicklingError")
        #expect(mapped.map { $0?.kind } == [.unserializable, .unserializable], "map with a closure must fail the same way")
        #expect(echoed == 7, "the pool is not usable after a closure was refused")
    }

    /// Seed §multiprocessing: "Processes in Python can be thought as
    /// instances of a Python interpreter that run independently from each
    /// other." A counter global to its process, incremented by calls in a
    /// worker, counts in that worker only: the worker starts from zero
    /// although this process had already counted (workers are spawned, not
    /// forked copies), and this process's counter does not move.
    @Test func aCounterIncrementedInWorkersIsNotVisibleInTheParent() async throws {
        let (here, inWorker, hereAfter) = try await Twin.blocking { () throws -> (Int, [Int], Int) in
            _ = ProcessJobs.CountInWorker().run()
            _ = ProcessJobs.CountInWorker().run()
            let here = ProcessJobs.CountInWorker.valueHere
            let inWorker = try withExecutor(try ProcessPoolExecutor(maxWorkers: 1)) { executor in
                try (0..<3).map { _ in
                    try executor.submit(ProcessJobs.CountInWorker()).result(timeout: Twin.seconds(200))
                }
            }
            return (here, inWorker, ProcessJobs.CountInWorker.valueHere)
        }
        #expect(here >= 2)
        #expect(inWorker == [1, 2, 3], "the worker did not count on its own from zero")
        #expect(hereAfter == here, "the workers' increments reached the parent")
    }

    /// Seed §Some adds: "use as many threads or processes, as the number of
    /// logical cores on your CPU". True of the process pool's default (one
    /// worker per online processor, Python's `os.cpu_count()`); not of the
    /// thread pool's (Appendix B #15): `min(32, cores + 4)`, because threads
    /// are for work that waits, where more threads than cores keep the cores
    /// busy.
    @Test func defaultWorkerCountsFollowCPythonNotTheSeed() {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(ProcessPoolExecutor.defaultMaxWorkers == cores)
        #expect(ThreadPoolExecutor.defaultMaxWorkers == min(32, cores + 4))
        #expect((try? ProcessPoolExecutor())?.maxWorkers == cores)
    }

    /// Seed §concurrent.futures: "using a context manager with either
    /// ThreadPoolExecutor/ProcessPoolExecutor automatically joins
    /// threads/processes". Once its two workers are up, the body returns at
    /// once after submitting two 3-unit waits; leaving `withExecutor` (the
    /// `with` block) waits for them, and then every worker process the pool
    /// started has exited and been reaped: none is left running or as a
    /// zombie. (Other suites in this process run pools of their own, so the
    /// check is on this pool's workers, by pid and start time.)
    @Test func theScopedFormJoinsAndReapsItsWorkers() async throws {
        let unit = Twin.unit
        let outcome = try await Twin.timed { () throws -> (inside: Duration, total: Duration, workers: [ChildProcess], left: [ChildProcess], done: Bool) in
            let clock = ContinuousClock()
            let wait = Twin.seconds(3).components
            let seconds = Double(wait.seconds) + Double(wait.attoseconds) / 1e18
            var workers: [ChildProcess] = []
            var start = clock.now
            var inside = Duration.zero
            var futures: [any ConcurrentFuture<Int32>] = []
            try withExecutor(try ProcessPoolExecutor(maxWorkers: 2)) { executor in
                // Start both workers first: starting a process takes longer
                // than a few units on a loaded machine, and the seed's point
                // is that submitting does not wait for the calls.
                let warmUp = try (0..<2).map { _ in try executor.submit(ProcessJobs.SleepInWorker(seconds: 0.05)) }
                for future in warmUp { _ = try future.result(timeout: Twin.seconds(200)) }
                start = clock.now
                futures = try (0..<2).map { _ in try executor.submit(ProcessJobs.SleepInWorker(seconds: seconds)) }
                workers = executor.workerProcessIDs.compactMap(ChildProcess.lookUp)
                inside = clock.now - start
            }
            let total = clock.now - start
            return (inside, total, workers, workers.filter(\.isStillAChild), futures.allSatisfy(\.isDone))
        }
        #expect(outcome.inside < unit * 3, "submitting waited for the calls")
        #expect(outcome.total >= unit * 3, "leaving the scope did not wait for the calls")
        #expect(outcome.done)
        #expect(outcome.workers.count == 2, "expected two live workers, found \(outcome.workers)")
        #expect(outcome.left.isEmpty, "workers outlived the scope: \(outcome.left)")
    }
}

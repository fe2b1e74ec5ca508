import ConcurrencyReference
import ConcurrencySpec
import Foundation
import SeedJobs
import Testing

@Suite("ProcessPoolExecutor")
struct ProcessPoolExecutorTests {
    @Test func runsJobsInOtherProcesses() throws {
        let pool = try ProcessPoolExecutor(maxWorkers: 2)
        let pids = try (0..<3).map { _ in try pool.submit(WorkerProcessID()) }.map { try $0.result(timeout: .seconds(10)) }
        #expect(!pids.contains(getpid()))
        let primes = try pool.map(PRIMES.map(IsPrime.init), timeout: nil, chunksize: 1).collect()
        #expect(primes == [true, true, true, true, true, false])
        pool.shutdown(wait: true)
        #expect(pool.workerProcessIDs.isEmpty)
    }
}

import ConcurrencyReference
import ConcurrencySpec
import Dispatch
import Foundation

// The workloads of the benchmark issue, written once and used by both the
// package-benchmark suite and `pool-profile`. bench_cpython.py runs the same
// workloads at the same sizes; keep the two in step (run.sh refuses to
// compare rows whose sizes differ).

/// Workload sizes. `CK_BENCH_SMOKE=1` selects tiny sizes that only prove the
/// suite still builds and runs.
public enum Sizes {
    public static let smoke: Bool = {
        guard let value = ProcessInfo.processInfo.environment["CK_BENCH_SMOKE"] else { return false }
        return !value.isEmpty && value != "0"
    }()

    /// Workload 1: jobs submitted, then collected, per measured iteration.
    public static var submitJobs: Int { smoke ? 1_000 : 100_000 }
    /// Workload 2: `submit().result()` round trips per measured iteration.
    public static var roundTrips: Int { smoke ? 100 : 10_000 }
    /// Workload 3: numbers of already-finished futures.
    public static var finishedFutures: [Int] { smoke ? [100, 1_000, 10_000] : [10_000, 100_000, 1_000_000] }
    /// Workload 4: the numbers tested for primality.
    public static var primes: [Int] { smoke ? smokePrimes : seedPrimes }
    /// Workers of every pool.
    public static let workers = 2
}

/// The seed's PRIMES (Python's `ProcessPoolExecutor` example).
public let seedPrimes = [
    112_272_535_095_293,
    112_582_705_942_171,
    112_272_535_095_293,
    115_280_095_190_773,
    115_797_848_077_099,
    1_099_726_899_285_419,
]

/// The same shape at a size that takes microseconds: five primes, one composite.
public let smokePrimes = [1_000_003, 1_000_033, 1_000_003, 1_000_037, 1_000_039, 1_000_001]

/// What `is_prime` must answer for either list: the last number is composite
/// (1099726899285419 = 3306091 × 332636609; 1000001 = 101 × 9901).
public let primeVerdicts = [true, true, true, true, true, false]

/// The seed's `is_prime`, line for line.
public func isPrime(_ n: Int) -> Bool {
    if n < 2 { return false }
    if n == 2 { return true }
    if n % 2 == 0 { return false }
    let sqrtN = Int(Double(n).squareRoot().rounded(.down))
    var i = 3
    while i <= sqrtN {
        if n % i == 0 { return false }
        i += 2
    }
    return true
}

// MARK: Workload 1: submit N no-op jobs, then collect every result

/// Submits `jobs` no-op jobs to `pool`, then reads every result in order.
/// - Returns: The sum of the results (0), so nothing can be optimised away.
public func submitThenCollect(_ pool: ThreadPoolExecutor, jobs: Int) throws -> Int {
    var futures: [any ConcurrentFuture<Int>] = []
    futures.reserveCapacity(jobs)
    for _ in 0..<jobs {
        futures.append(try pool.submit { 0 })
    }
    var sum = 0
    for future in futures {
        sum &+= try future.result()
    }
    return sum
}

/// One result slot per job, written by exactly one job and read after the
/// group has been waited for (the group's wait orders the accesses).
public final class ResultSlots: @unchecked Sendable {
    // @unchecked Sendable is safe: slot i is written only by job i, and read
    // only after DispatchGroup.wait(), which happens-after every write.
    private let base: UnsafeMutablePointer<Int>
    public let count: Int

    public init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: -1, count: count)
    }

    deinit { base.deallocate() }

    public subscript(index: Int) -> Int {
        get { base[index] }
        set { base[index] = newValue }
    }
}

/// The same workload on plain Dispatch: a concurrent queue and a group.
/// Each job stores its result in its own slot; all are read after the wait.
public func dispatchSubmitThenCollect(_ queue: DispatchQueue, jobs: Int) -> Int {
    let slots = ResultSlots(count: jobs)
    let group = DispatchGroup()
    for index in 0..<jobs {
        queue.async(group: group) { slots[index] = 0 }
    }
    group.wait()
    var sum = 0
    for index in 0..<jobs {
        sum &+= slots[index]
    }
    return sum
}

/// A concurrent queue for ``dispatchSubmitThenCollect(_:jobs:)``. Dispatch
/// sizes its own thread pool (one thread per core here, 2).
public func makeDispatchQueue() -> DispatchQueue {
    DispatchQueue(label: "ConcurrencyKitBenchmarks.dispatch", attributes: .concurrent)
}

// MARK: Workload 2: one-at-a-time round trips

/// `count` times: submit a no-op job and block for its result.
public func roundTrips(_ pool: ThreadPoolExecutor, count: Int) throws -> Int {
    var sum = 0
    for _ in 0..<count {
        sum &+= try pool.submit { 0 }.result()
    }
    return sum
}

// MARK: Workload 3: asCompleted and wait over finished futures

/// `count` futures, each already finished with the value 1.
public func finishedFutures(_ count: Int) -> [any ConcurrentFuture<Int>] {
    var futures: [any ConcurrentFuture<Int>] = []
    futures.reserveCapacity(count)
    for _ in 0..<count {
        let future = Future<Int>()
        try! future.setResult(1)
        futures.append(future)
    }
    return futures
}

/// Reads `asCompleted(futures)` to the end.
/// - Returns: How many futures it yielded.
public func drainAsCompleted(_ futures: [any ConcurrentFuture<Int>]) throws -> Int {
    let completed = asCompleted(futures)
    var yielded = 0
    while try completed.next() != nil {
        yielded += 1
    }
    return yielded
}

/// `wait(futures)` with the defaults (no timeout, all completed).
/// - Returns: How many futures it reported done.
public func waitAll(_ futures: [any ConcurrentFuture<Int>]) -> Int {
    ConcurrencySpec.wait(futures, timeout: nil, returnWhen: .allCompleted).done.count
}

// MARK: Workload 4: is_prime over PRIMES

/// `is_prime` over `numbers` on the calling thread.
public func primesSerial(_ numbers: [Int]) -> [Bool] {
    numbers.map(isPrime)
}

/// `is_prime` over `numbers` with `pool.map`, results in input order.
public func primesOnPool(_ pool: ThreadPoolExecutor, _ numbers: [Int]) throws -> [Bool] {
    try pool.map(numbers) { isPrime($0) }.collect()
}

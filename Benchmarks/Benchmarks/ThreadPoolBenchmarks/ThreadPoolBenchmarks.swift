import Benchmark
import ConcurrencyReference
import ConcurrencySpec
import Dispatch
import PoolWorkloads

// The reference ThreadPoolExecutor against the workloads of the benchmark
// issue. Every benchmark is named "<key> n=<size>"; run.sh matches the keys
// with bench_cpython.py's and divides each time by n (per job, per round
// trip, per future). Times are wall clock for one iteration: the pool is
// created and shut down outside the measured region, as in the CPython
// script. No thresholds: the figures are reported, never asserted here.

/// A result that is not what the workload must produce fails the benchmark
/// (package-benchmark reports a thrown error as a failure).
struct WrongResult: Error, CustomStringConvertible {
    let description: String
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw WrongResult(description: message()) }
}

let benchmarks: @Sendable () -> Void = {
    let smoke = Sizes.smoke
    let workers = Sizes.workers

    /// Iterations per benchmark: enough for a stable median in a full run,
    /// two in smoke mode (which only proves the suite runs).
    func configuration(iterations: Int, seconds: Int) -> Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .throughput],
            timeUnits: .nanoseconds,
            warmupIterations: smoke ? 0 : 1,
            maxDuration: .seconds(smoke ? 1 : seconds),
            maxIterations: smoke ? 2 : iterations
        )
    }

    // MARK: 1. submit N no-op jobs, then collect every result

    let jobs = Sizes.submitJobs
    Benchmark(
        "submit_collect.reference n=\(jobs)",
        configuration: configuration(iterations: 15, seconds: 6)
    ) { benchmark in
        let pool = try ThreadPoolExecutor(maxWorkers: workers)
        defer { pool.shutdown(wait: true) }
        benchmark.startMeasurement()
        let sum = try submitThenCollect(pool, jobs: jobs)
        benchmark.stopMeasurement()
        try expect(sum == 0, "sum of results \(sum)")
    }

    Benchmark(
        "submit_collect.dispatch n=\(jobs)",
        configuration: configuration(iterations: 15, seconds: 4)
    ) { benchmark in
        let queue = makeDispatchQueue()
        benchmark.startMeasurement()
        let sum = dispatchSubmitThenCollect(queue, jobs: jobs)
        benchmark.stopMeasurement()
        try expect(sum == 0, "sum of results \(sum)")
    }

    // MARK: 2. one-at-a-time submit().result() round trips

    let trips = Sizes.roundTrips
    Benchmark(
        "round_trip.reference n=\(trips)",
        configuration: configuration(iterations: 10, seconds: 6)
    ) { benchmark in
        let pool = try ThreadPoolExecutor(maxWorkers: workers)
        defer { pool.shutdown(wait: true) }
        // Start the worker before measuring, as a long-lived pool would have.
        _ = try roundTrips(pool, count: 10)
        benchmark.startMeasurement()
        let sum = try roundTrips(pool, count: trips)
        benchmark.stopMeasurement()
        try expect(sum == 0, "sum of results \(sum)")
    }

    // MARK: 3. asCompleted and wait over already-finished futures

    for count in Sizes.finishedFutures {
        // The futures are made once per benchmark, outside the measurement;
        // neither asCompleted nor wait changes a finished future.
        Benchmark(
            "as_completed.finished n=\(count)",
            configuration: configuration(iterations: count >= 1_000_000 ? 8 : 30, seconds: 4),
            closure: { benchmark, futures in
                benchmark.startMeasurement()
                let yielded = try drainAsCompleted(futures)
                benchmark.stopMeasurement()
                try expect(yielded == count, "asCompleted yielded \(yielded) of \(count)")
            },
            setup: { finishedFutures(count) }
        )
        Benchmark(
            "wait.finished n=\(count)",
            configuration: configuration(iterations: count >= 1_000_000 ? 8 : 30, seconds: 4),
            closure: { benchmark, futures in
                benchmark.startMeasurement()
                let done = waitAll(futures)
                benchmark.stopMeasurement()
                try expect(done == count, "wait reported \(done) of \(count) done")
            },
            setup: { finishedFutures(count) }
        )
    }

    // MARK: 4. is_prime over PRIMES, serially and on 2 workers

    let primes = Sizes.primes
    let expected = primeVerdicts
    Benchmark(
        "primes.serial n=\(primes.count)",
        configuration: configuration(iterations: 8, seconds: 6)
    ) { benchmark in
        benchmark.startMeasurement()
        let verdicts = primesSerial(primes)
        benchmark.stopMeasurement()
        try expect(verdicts == expected, "verdicts \(verdicts)")
    }

    Benchmark(
        "primes.pool2 n=\(primes.count)",
        configuration: configuration(iterations: 8, seconds: 6)
    ) { benchmark in
        let pool = try ThreadPoolExecutor(maxWorkers: workers)
        defer { pool.shutdown(wait: true) }
        benchmark.startMeasurement()
        let verdicts = try primesOnPool(pool, primes)
        benchmark.stopMeasurement()
        try expect(verdicts == expected, "verdicts \(verdicts)")
    }
}

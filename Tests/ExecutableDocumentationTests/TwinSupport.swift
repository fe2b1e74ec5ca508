import ConcurrencyConformance
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the seed twins share: seed seconds as kit time units, Python's
/// `time.sleep`, and a way to run a blocking twin without occupying one of the
/// cooperative pool's few threads.
enum Twin {
    /// One seed second: one kit time unit (50 ms × `CONFORMANCE_TIME_SCALE`).
    static var unit: Duration { Timing.current.unit }

    /// What the seed's `PRIMES` program prints, line for line, whichever
    /// pool runs it (the thread pool's twin and the process pool's).
    static let primeLines = [
        "112272535095293 is prime: True",
        "112582705942171 is prime: True",
        "112272535095293 is prime: True",
        "115280095190773 is prime: True",
        "115797848077099 is prime: True",
        "1099726899285419 is prime: False",
    ]

    /// `seconds` seed seconds as real time.
    static func seconds(_ seconds: Double) -> Duration { Timing.current.units(seconds) }

    /// Python's `time.sleep(seconds)`, in seed seconds (kit units).
    static func sleep(seconds: Double) { sleep(for: Self.seconds(seconds)) }

    /// Blocks the calling thread for at least `duration` as the test's clock
    /// measures it: a hard lower bound, so the twins can assert `≥` on it.
    static func sleep(for duration: Duration) { blockingSleep(duration) }

    /// Runs a twin whose outcome depends on real time, alone with respect to
    /// the kit's own timed checks, on a thread of its own.
    ///
    /// The 2-core machine the suites run on has a cooperative pool of two
    /// threads: a twin that blocks one of them for seconds would slow every
    /// other test in the process, so the blocking body gets its own thread,
    /// as the kit's blocking checks do.
    static func timed<Result: Sendable>(
        budget units: Double = 100,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await Conformance.withExclusiveTiming {
            await onOwnThread(budget: units, body)
        }.get()
    }

    /// Runs an `async` twin whose outcome depends on real time, alone with
    /// respect to the kit's own timed checks, with its jobs on a serial
    /// queue of its own rather than on the cooperative pool.
    ///
    /// Nothing in such a twin blocks a thread, but while other tests block
    /// both of the cooperative pool's threads, its resumptions would wait
    /// for one to come free: a full `swift test` once delayed a 5-unit
    /// `for try await` twin by another 18 units.
    static func timedAsync<Result: Sendable>(
        _ body: @escaping @Sendable () async -> Result
    ) async -> Result {
        await Conformance.withExclusiveTiming {
            await withTaskExecutorPreference(SerialQueueExecutor()) { await body() }
        }
    }

    /// Runs a blocking body that does not measure time on a thread of its own.
    static func blocking<Result: Sendable>(
        budget units: Double = 100,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await onOwnThread(budget: units, body).get()
    }

    /// Runs `body` on a new thread; a watchdog gives up on it after `units`
    /// kit units so that a deadlocked twin fails instead of hanging the run.
    private static func onOwnThread<Result: Sendable>(
        budget units: Double,
        _ body: @escaping @Sendable () throws -> Result
    ) async -> Swift.Result<Result, any Error> {
        let budget = seconds(units)
        let pending = Locked<CheckedContinuation<Swift.Result<Result, any Error>, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            let finish: @Sendable (Swift.Result<Result, any Error>) -> Void = { outcome in
                pending.withLock { $0.take() }?.resume(returning: outcome)
            }
            let thread = Thread { finish(Swift.Result { try body() }) }
            thread.name = "seed twin"
            thread.start()
            let nanoseconds = budget.components.seconds * 1_000_000_000
                + budget.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
                finish(.failure(WatchdogExpired(budget: budget)))
            }
        }
    }
}

/// Runs the jobs of the tasks that prefer it on one serial dispatch queue,
/// whose thread is not one of the cooperative pool's.
private final class SerialQueueExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "seed twin (async)")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A twin did not finish within its watchdog budget: most likely a deadlock.
struct WatchdogExpired: Error, CustomStringConvertible {
    let budget: Duration
    var description: String { "the twin did not finish within \(budget); abandoned (deadlock?)" }
}

/// Something a twin expected to happen did not happen in time.
struct TwinTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

extension Latch {
    /// Waits for the latch, failing the twin instead of hanging if it never
    /// opens.
    func waitOpen(_ what: String, units: Double = 40) throws {
        guard wait(timeout: Twin.seconds(units)) else { throw TwinTimeout(what: what) }
    }
}

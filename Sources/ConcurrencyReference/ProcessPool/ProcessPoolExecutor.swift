import ConcurrencyPrimitives
import ConcurrencySpec
import ConcurrencyWorker
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pool of worker processes with the semantics of Python's
/// `concurrent.futures.ProcessPoolExecutor`.
///
/// Calls are ``ConcurrencySpec/PortableJob`` values: the job's type is the
/// callable and its properties are the arguments, encoded with `Codable` and run by
/// a worker program that registered the type (see ``WorkerProgram``). This
/// is Python's "arguments and results must be picklable" in Swift form:
///
/// ```swift
/// let pool = try ProcessPoolExecutor(maxWorkers: 2)
/// let isPrime = try pool.map(PRIMES.map(IsPrime.init), timeout: nil, chunksize: 1).collect()
/// pool.shutdown(wait: true)
/// ```
///
/// - Workers start lazily, at most ``maxWorkers`` of them, with
///   `posix_spawn` (never `fork` in a threaded process), and talk to the pool
///   over a socket in length-prefixed frames. Calls queued while every
///   worker is busy travel in batches (up to the queue's share per worker,
///   at most 256), so a busy pool pays one round trip per batch rather than
///   per call. `map`'s `chunksize` calls travel, and are encoded and
///   decoded, as one value.
/// - A call that is in a batch handed to a worker counts as running and can
///   no longer be cancelled, like a call in Python's call queue.
/// - A job whose input, result or error cannot be encoded or decoded fails
///   its own future with ``ConcurrencySpec/ConcurrencyError/unserializable(type:reason:)``;
///   the pool goes on. A closure cannot travel at all: submitting one fails
///   its future the same way, as a local lambda fails to pickle.
/// - A worker that dies (a crash, `exit`, a signal), an initializer that
///   throws, or a frame from a worker that does not follow the protocol
///   breaks the pool: every call not yet finished fails with
///   ``ConcurrencySpec/ConcurrencyError/brokenExecutor(reason:)``, the other
///   workers are killed, and later submits throw the same error. Every
///   worker is reaped with `waitpid`; none is left a zombie.
public final class ProcessPoolExecutor: ConcurrentExecutor {
    /// The most worker processes alive at once.
    public let maxWorkers: Int
    /// After this many calls a worker exits and a fresh one replaces it
    /// (Python 3.11's `max_tasks_per_child`); `nil` keeps workers for good.
    public let maxTasksPerChild: Int?
    /// The program the workers run.
    public let program: WorkerProgram
    @usableFromInline let core: ProcessPoolCore

    /// The default worker count: one per processor the system has online,
    /// as Python's `os.cpu_count()`, which is also the seed's advice of "as
    /// many processes as logical cores". Unlike threads, processes gain
    /// nothing from outnumbering the cores for CPU-bound work.
    public static var defaultMaxWorkers: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Creates a pool. No worker starts until the first call needs one.
    /// - Parameters:
    ///   - maxWorkers: The most workers at once; `nil` for ``defaultMaxWorkers``.
    ///   - program: The worker program; `nil` for ``WorkerProgram/automatic()``.
    ///   - initializer: Runs once in each worker before its first call; if
    ///     it throws, the pool breaks (Python's `initializer`).
    ///   - maxTasksPerChild: Replace a worker after this many calls.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)``
    ///   when `maxWorkers` or `maxTasksPerChild` is below 1, or no worker
    ///   program can be found.
    public convenience init(
        maxWorkers: Int? = nil,
        program: WorkerProgram? = nil,
        initializer: (any PortableJob)? = nil,
        maxTasksPerChild: Int? = nil
    ) throws {
        try self.init(
            maxWorkers: maxWorkers,
            program: program,
            initializer: initializer,
            maxTasksPerChild: maxTasksPerChild,
            faults: ProcessPoolFaults()
        )
    }

    /// A pool built with deliberate defects, for the mutant gallery.
    package init(
        maxWorkers: Int?,
        program: WorkerProgram?,
        initializer: (any PortableJob)?,
        maxTasksPerChild: Int?,
        faults: ProcessPoolFaults
    ) throws {
        let count = maxWorkers ?? Self.defaultMaxWorkers
        guard count > 0 else {
            throw ConcurrencyError.invalidArgument("maxWorkers must be greater than 0, got \(count)")
        }
        if let maxTasksPerChild, maxTasksPerChild < 1 {
            throw ConcurrencyError.invalidArgument("maxTasksPerChild must be at least 1, got \(maxTasksPerChild)")
        }
        let program = try program ?? WorkerProgram.automatic()
        self.maxWorkers = count
        self.maxTasksPerChild = maxTasksPerChild
        self.program = program
        let initialization = try initializer.map { try ProcessPoolCore.encodeInitializer($0) }
        core = ProcessPoolCore(
            maxWorkers: count,
            program: program,
            initializer: initialization,
            maxTasksPerChild: maxTasksPerChild,
            faults: faults
        )
    }

    deinit {
        // Like a Python executor that is garbage-collected: queued calls
        // still run, then the workers exit and are reaped by the pool's own
        // threads, which outlive this object.
        core.shutdown(wait: false, cancelFutures: false)
    }

    /// Fails at once, as a closure cannot reach another process: the future
    /// carries ``ConcurrencySpec/ConcurrencyError/unserializable(type:reason:)``
    /// (Python: pickling a local lambda). Submit a ``ConcurrencySpec/PortableJob``.
    /// - Throws: As ``submit(_:)-(Job)`` when the pool is shut down or broken.
    public func submit<Result: Sendable>(
        _ job: @escaping @Sendable () throws -> Result
    ) throws -> any ConcurrentFuture<Result> {
        try core.checkAccepting()
        let future = Future<Result>()
        try? future.setException(ConcurrencyError.unserializable(
            type: "closure () -> \(Result.self)",
            reason: "a closure cannot be sent to a worker process; submit a PortableJob that the worker program registers"
        ))
        return future
    }

    /// Encodes `job` and queues it for a worker process.
    /// - Returns: The call's future; already failed with
    ///   ``ConcurrencySpec/ConcurrencyError/unserializable(type:reason:)`` when
    ///   the job cannot be encoded.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/executorShutDown`` after
    ///   shutdown, ``ConcurrencySpec/ConcurrencyError/brokenExecutor(reason:)``
    ///   once the pool is broken.
    public func submit<Job: PortableJob>(_ job: Job) throws -> any ConcurrentFuture<Job.Result> {
        try core.checkAccepting()
        let future = Future<Job.Result>()
        if let call = SingleCall.make(job, future: future, encoder: BinaryEncoder()) {
            try core.enqueue([call])
        }
        return future
    }

    /// Queues every job before returning, `chunksize` jobs per message to a
    /// worker, and returns the results in input order.
    ///
    /// Once the first chunk is queued, a pool that breaks or shuts down
    /// meanwhile fails the remaining calls' futures with that error rather
    /// than making `map` throw: every future `map` made is returned.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)`` when
    ///   `chunksize` is below 1; otherwise as ``submit(_:)-(Job)``, when the
    ///   pool refuses the first chunk.
    @inlinable
    public func map<Job: PortableJob>(
        _ jobs: some Sequence<Job>,
        timeout: Duration?,
        chunksize: Int
    ) throws -> MapResults<Job.Result> {
        // This loop is inlined into the caller, where `Job` and the sequence
        // are concrete: run unspecialized, iterating a lazy sequence, making
        // each future and boxing it as `any ConcurrentFuture` (a metadata and
        // a witness-table lookup each) cost more per item than encoding it.
        // Each chunk is queued as soon as it is full, as Python's map submits
        // call after call, so the workers start on the first chunks while
        // later ones are still being made.
        let queue = try MapQueue<Job>(core: core, timeout: timeout, chunksize: chunksize)
        var futures: [any ConcurrentFuture<Job.Result>] = []
        let expected = jobs.underestimatedCount
        futures.reserveCapacity(expected)
        // No more than the input can fill: a chunksize far above the number
        // of jobs must not allocate (or trap on) its full size.
        let chunkCapacity = Swift.min(chunksize, Swift.max(1, expected))
        var pending: [Job] = []
        pending.reserveCapacity(chunkCapacity)
        var pendingFutures: [Future<Job.Result>] = []
        pendingFutures.reserveCapacity(chunkCapacity)
        for job in jobs {
            let future = Future<Job.Result>()
            futures.append(future)
            pending.append(job)
            pendingFutures.append(future)
            if pending.count == chunksize {
                try queue.queue(pending, futures: pendingFutures)
                pending.removeAll(keepingCapacity: true)
                pendingFutures.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try queue.queue(pending, futures: pendingFutures) }
        return MapResults(futures: futures, deadline: queue.deadline)
    }

    public func shutdown(wait: Bool, cancelFutures: Bool) {
        core.shutdown(wait: wait, cancelFutures: cancelFutures)
    }

    /// The process IDs of the workers alive now, for tests and diagnostics.
    public var workerProcessIDs: [Int32] { core.workerProcessIDs }
}

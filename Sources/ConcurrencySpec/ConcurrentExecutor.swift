/// A pool that runs calls asynchronously and hands back a future for each,
/// with the semantics of Python's `concurrent.futures.Executor`.
///
/// Thread pools and process pools conform alike, so code written against this
/// protocol runs on either (Python: both constructors return instances of
/// `Executor` subclasses). Use ``withExecutor(_:_:)`` for the scoped form that
/// joins on exit, the twin of `with ThreadPoolExecutor() as executor:`.
public protocol ConcurrentExecutor: AnyObject, Sendable {
    /// The most calls that run at once. Python keeps it private
    /// (`_max_workers`).
    var maxWorkers: Int { get }

    /// Schedules `job` and returns its future at once, without waiting for it.
    ///
    /// Python: `submit(fn, *args, **kwargs)`. The job runs exactly once, on a
    /// worker, unless its future is cancelled before it starts. Whatever the
    /// job throws becomes the future's error; it is never thrown from
    /// `submit`, and it never kills a worker.
    /// - Returns: The job's future: pending, or already done if a worker was
    ///   quick.
    /// - Throws: ``ConcurrencyError/executorShutDown`` after
    ///   ``shutdown(wait:cancelFutures:)``;
    ///   ``ConcurrencyError/brokenExecutor(reason:)`` when the pool is broken.
    func submit<Result: Sendable>(
        _ job: @escaping @Sendable () throws -> Result
    ) throws -> any ConcurrentFuture<Result>

    /// Submits `job` once per element of `inputs` before returning, and
    /// returns an iterator over the results in input order.
    ///
    /// Python: `map(fn, *iterables, timeout=None, chunksize=1)`. Every call is
    /// submitted before this method returns, so all of them run whether or not
    /// the results are read. The default implementation submits one call per
    /// element; a process pool overrides it to batch `chunksize` calls per
    /// message.
    /// - Parameters:
    ///   - inputs: The arguments, one call each. Zip several sequences to
    ///     map over them together (Python's several iterables).
    ///   - timeout: Measured from this call: reading a result after the
    ///     deadline throws ``ConcurrencyError/timeout(unfinished:)``.
    ///   - chunksize: How many calls travel together to a worker. Thread pools
    ///     ignore it, as Python's do.
    ///   - job: The call to make for each element.
    /// - Throws: As ``submit(_:)``.
    func map<Input: Sendable, Result: Sendable>(
        _ inputs: some Sequence<Input>,
        timeout: Duration?,
        chunksize: Int,
        _ job: @escaping @Sendable (Input) throws -> Result
    ) throws -> MapResults<Result>

    /// Schedules a ``PortableJob`` and returns its future at once.
    ///
    /// Python: `submit(fn, *args)` where `fn` and `args` pickle. A thread pool
    /// runs ``PortableJob/run()`` on a worker thread (the default does exactly
    /// that through ``submit(_:)-(()->Result)``); a process pool encodes the job
    /// and runs it in a worker process. An encoding or decoding failure fails
    /// this future alone with ``ConcurrencyError/unserializable(type:reason:)``.
    /// - Throws: As the closure form.
    func submit<Job: PortableJob>(_ job: Job) throws -> any ConcurrentFuture<Job.Result>

    /// Submits every job of `jobs` before returning, `chunksize` of them per
    /// message to a worker, and returns their results in input order.
    ///
    /// Python: `ProcessPoolExecutor.map(fn, iterable, chunksize=n)`. The
    /// default submits each job on its own through ``submit(_:)-(Job)``, as a
    /// thread pool does; a process pool overrides it to send `chunksize` jobs
    /// in one message, which is what makes fine-grained work pay off.
    /// - Throws: ``ConcurrencyError/invalidArgument(_:)`` when `chunksize`
    ///   is below 1 (Python's `ValueError`); otherwise as ``submit(_:)-(Job)``.
    func map<Job: PortableJob>(
        _ jobs: some Sequence<Job>,
        timeout: Duration?,
        chunksize: Int
    ) throws -> MapResults<Job.Result>

    /// Stops accepting work and releases the workers.
    ///
    /// Python: `shutdown(wait=True, *, cancel_futures=False)`. Later submits
    /// throw ``ConcurrencyError/executorShutDown``; further shutdowns do
    /// nothing but wait, if asked, like the first.
    /// - Parameters:
    ///   - wait: When `true`, return only after every call that was not
    ///     cancelled has finished and every worker thread has exited.
    ///   - cancelFutures: When `true`, cancel every call that has not started.
    ///     Running calls always finish.
    func shutdown(wait: Bool, cancelFutures: Bool)
}

extension ConcurrentExecutor {
    public func map<Input: Sendable, Result: Sendable>(
        _ inputs: some Sequence<Input>,
        timeout: Duration?,
        chunksize: Int,
        _ job: @escaping @Sendable (Input) throws -> Result
    ) throws -> MapResults<Result> {
        // Deadline first: Python measures the timeout from the map() call.
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var futures: [any ConcurrentFuture<Result>] = []
        for input in inputs {
            futures.append(try submit { try job(input) })
        }
        return MapResults(futures: futures, deadline: deadline)
    }

    public func submit<Job: PortableJob>(_ job: Job) throws -> any ConcurrentFuture<Job.Result> {
        try submit { () throws -> Job.Result in try job.run() }
    }

    public func map<Job: PortableJob>(
        _ jobs: some Sequence<Job>,
        timeout: Duration?,
        chunksize: Int
    ) throws -> MapResults<Job.Result> {
        try MapResults<Job.Result>.checkChunksize(chunksize)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var futures: [any ConcurrentFuture<Job.Result>] = []
        for job in jobs {
            futures.append(try submit(job))
        }
        return MapResults(futures: futures, deadline: deadline)
    }

    /// ``map(_:timeout:chunksize:)-(Sequence<Job>,_,_)`` with no timeout and a chunk size of 1.
    public func map<Job: PortableJob>(_ jobs: some Sequence<Job>) throws -> MapResults<Job.Result> {
        try map(jobs, timeout: nil, chunksize: 1)
    }

    /// ``map(_:timeout:chunksize:_:)`` with no timeout and a chunk size of 1.
    public func map<Input: Sendable, Result: Sendable>(
        _ inputs: some Sequence<Input>,
        _ job: @escaping @Sendable (Input) throws -> Result
    ) throws -> MapResults<Result> {
        try map(inputs, timeout: nil, chunksize: 1, job)
    }

    /// ``shutdown(wait:cancelFutures:)`` without cancelling pending calls.
    public func shutdown(wait: Bool = true) {
        shutdown(wait: wait, cancelFutures: false)
    }
}

/// Runs `body` with `executor`, then shuts it down and waits for every
/// submitted call, even when `body` throws.
///
/// The twin of Python's `with ThreadPoolExecutor() as executor:` block: the
/// body runs without waiting for its jobs, and leaving the scope performs
/// `shutdown(wait: true)`, which does not cancel queued work. An error thrown
/// by `body` propagates unchanged once the work has finished.
/// - Returns: What `body` returns.
@discardableResult
public func withExecutor<Executor: ConcurrentExecutor, Result>(
    _ executor: Executor,
    _ body: (Executor) throws -> Result
) rethrows -> Result {
    defer { executor.shutdown(wait: true, cancelFutures: false) }
    return try body(executor)
}

/// The results of ``ConcurrentExecutor/map(_:timeout:chunksize:_:)``, read in
/// input order.
///
/// Python's `map` returns a generator; this is its Swift form. ``next()``
/// blocks until the next result is ready, throws the call's error when its
/// element is reached (after which iteration is over), and throws a timeout
/// once the deadline, measured from the `map` call, has passed. Once reading
/// has begun, closing the results or dropping them cancels the calls that
/// have not started; results dropped unread cancel nothing, exactly like a
/// Python generator that was never started (the seed's thread-local example
/// relies on it). Open so that an executor can specialize reading.
open class MapResults<Value: Sendable> {
    private var futures: [any ConcurrentFuture<Value>]
    private var position = 0
    private var started = false
    private let deadline: ContinuousClock.Instant?

    /// Creates results over futures in input order.
    /// - Parameter deadline: When reading gives up; `nil` waits without limit.
    public init(futures: [any ConcurrentFuture<Value>], deadline: ContinuousClock.Instant?) {
        self.futures = futures
        self.deadline = deadline
    }

    deinit { close() }

    /// Refuses a chunk size below 1, as Python's process-pool `map` does
    /// (`ValueError`), for the `map` implementations that batch.
    /// - Throws: ``ConcurrencyError/invalidArgument(_:)``.
    public static func checkChunksize(_ chunksize: Int) throws {
        guard chunksize >= 1 else {
            throw ConcurrencyError.invalidArgument("chunksize must be at least 1, got \(chunksize)")
        }
    }

    /// The futures, in input order.
    public final var underlyingFutures: [any ConcurrentFuture<Value>] { futures }

    /// Blocks for the next result in input order.
    /// - Returns: The result, or `nil` when every result has been read.
    /// - Throws: The call's own error, after which iteration is over;
    ///   ``ConcurrencyError/timeout(unfinished:)`` when the deadline passes,
    ///   counting the results not yet read.
    open func next() throws -> Value? {
        started = true
        guard position < futures.count else { return nil }
        let future = futures[position]
        let remaining = deadline.map { $0 - ContinuousClock.now }
        do {
            let value = try future.result(timeout: remaining.map { max($0, .zero) })
            position += 1
            return value
        } catch ConcurrencyError.timeout {
            let unfinished = futures.count - position
            // Python's generator ends on any exception it raises, the
            // timeout included, and its `finally` cancels what is left.
            close()
            throw ConcurrencyError.timeout(unfinished: unfinished)
        } catch {
            // An error ends the iteration, as a Python generator that raised.
            position += 1
            close()
            throw error
        }
    }

    /// Reads every remaining result.
    /// - Throws: As ``next()``.
    public final func collect() throws -> [Value] {
        var values: [Value] = []
        while let value = try next() { values.append(value) }
        return values
    }

    /// Ends the iteration; if reading had begun, cancels the calls whose
    /// results were not read and that have not started. Python: closing the
    /// generator, whose `finally` runs only once it has started.
    open func close() {
        if started {
            for future in futures[position...] { future.cancel() }
        }
        position = futures.count
    }
}

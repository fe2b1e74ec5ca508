/// A pool that runs calls asynchronously and hands back a future for each,
/// with the semantics of Python's `concurrent.futures.Executor`.
///
/// Thread pools and process pools conform alike, so code written against this
/// protocol runs on either (Python: both constructors return instances of
/// `Executor` subclasses).
///
/// - Note: First draft. The executor issue finalizes `map`'s iterator, the
///   scoped joining form, and the module-level `wait` and `asCompleted`.
public protocol ConcurrentExecutor: AnyObject, Sendable {
    /// Schedules `job` and returns its future at once.
    ///
    /// Python: `submit(fn, *args, **kwargs)`. The job runs exactly once, on a
    /// worker, unless its future is cancelled first. Whatever the job throws
    /// becomes the future's error; it is never thrown from `submit`.
    /// - Returns: A future that is pending when returned (or already done if
    ///   a worker was quick).
    /// - Throws: ``ConcurrencyError/executorShutDown`` after
    ///   ``shutdown(wait:cancelFutures:)``; ``ConcurrencyError/brokenExecutor(reason:)``
    ///   when the pool is broken.
    func submit<Result: Sendable>(
        _ job: @escaping @Sendable () throws -> Result
    ) throws -> any ConcurrentFuture<Result>

    /// Submits `job` for every element of `inputs` at once and returns the
    /// futures in input order.
    ///
    /// Python: `map(fn, *iterables, timeout=None, chunksize=1)`, which yields
    /// the results of these futures in input order; every call is submitted
    /// before this method returns, whether or not the results are read.
    /// - Parameters:
    ///   - inputs: The arguments, one call each.
    ///   - chunksize: How many calls travel together to a worker. Thread pools
    ///     ignore it; process pools batch by it. Must be at least 1.
    ///   - job: The call to make for each element.
    /// - Throws: As ``submit(_:)``, and ``ConcurrencyError/invalidArgument(_:)``
    ///   for a chunk size below 1.
    func map<Input: Sendable, Result: Sendable>(
        _ inputs: some Sequence<Input>,
        chunksize: Int,
        _ job: @escaping @Sendable (Input) throws -> Result
    ) throws -> [any ConcurrentFuture<Result>]

    /// Stops accepting work and releases the workers.
    ///
    /// Python: `shutdown(wait=True, *, cancel_futures=False)`. Later submits
    /// throw ``ConcurrencyError/executorShutDown``; further shutdowns do
    /// nothing.
    /// - Parameters:
    ///   - wait: When `true`, return only after every call that was not
    ///     cancelled has finished and every worker has exited.
    ///   - cancelFutures: When `true`, cancel every call that has not started.
    ///     Running calls always finish.
    func shutdown(wait: Bool, cancelFutures: Bool)
}

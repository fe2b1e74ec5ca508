import ConcurrencyConformance
import ConcurrencyPrimitives
import ConcurrencyReference
import ConcurrencySpec
import Foundation

/// Foundation's `OperationQueue` as an executor, judged by the kit as an
/// engine it did not write.
///
/// The glue is thin (see ``OperationQueueExecutor``). Futures are the
/// reference ``ConcurrencyReference/Future``: the adapter is about the
/// executor engine, not about futures.
///
/// OperationQueue runs its operations on threads of Dispatch's pool, shared by
/// the whole process: they are not started for the executor, not reused on
/// purpose, and not joined at shutdown. So the adapter declares
/// ``Capability/threadPool`` (jobs run on threads of this process) but not
/// ``Capability/ownsWorkerThreads``, and, having no hook that runs once per
/// worker thread, not ``Capability/workerInitializer`` either: the clauses
/// that need them are visible skips.
public enum OperationQueueAdapter: ExecutorSubject {
    public static let name = "operation-queue"
    public static let kind = Implementation.Kind.adapter
    public static let summary = "Foundation OperationQueue with maxConcurrentOperationCount = maxWorkers, one BlockOperation per job"
    public static let capabilities: Set<Capability> = [.threadPool]

    /// Differences of OperationQueue itself, each stated under its clause in
    /// CONFORMANCE.md: its own EXE-028, and what follows from it for every
    /// engine on Dispatch's shared pool.
    public static let knownDeviations: [String: String] = AdapterSupport.dispatchPoolConsequences.merging([
        "EXE-028": "OperationQueue runs its operations on Dispatch's process-wide pool, about as wide as the machine has cores, which on Linux adds a thread at most about once a second when its workers block, so more blocking calls than cores do not all run at once whatever maxConcurrentOperationCount says.",
    ]) { _, own in own }

    /// Returns an ``OperationQueueExecutor``.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)`` when
    ///   `maxWorkers` is zero or less, or when an initializer is given:
    ///   OperationQueue has no hook that runs once per worker thread.
    public static func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)?
    ) throws -> any ConcurrentExecutor {
        try AdapterSupport.refuseInitializer(initializer, engine: "OperationQueue")
        return try OperationQueueExecutor(maxWorkers: maxWorkers)
    }
}

/// A ``ConcurrencySpec/ConcurrentExecutor`` that runs each job as a
/// `BlockOperation` on an `OperationQueue` limited to ``maxWorkers``
/// concurrent operations.
///
/// `maxConcurrentOperationCount` is ``maxWorkers``,
/// `waitUntilAllOperationsAreFinished()` answers `shutdown(wait: true)`, and
/// `cancelAllOperations()`, after the futures of the jobs not yet started are
/// cancelled, answers `cancelFutures`. Dispatch, underneath, has the last word
/// on how many operations run at once: its pool is about as wide as the
/// machine has cores. Calling `shutdown(wait: true)` from one of the
/// executor's own jobs never returns, since that job waits for itself.
public final class OperationQueueExecutor: ConcurrentExecutor {
    /// The most jobs that run at once.
    public let maxWorkers: Int

    private let queue = OperationQueue()
    private let ledger = ConditionLock(AdapterLedger())

    /// Creates an executor.
    /// - Parameter maxWorkers: At most this many jobs at once; `nil` for
    ///   `min(32, cores + 4)`. OperationQueue's own default
    ///   (`defaultMaxConcurrentOperationCount`) leaves the width to the
    ///   system, which is no number ``maxWorkers`` can report, so the adapter
    ///   takes the default of the contract it adapts to: Python's
    ///   `ThreadPoolExecutor` default since 3.8, as the reference does.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)``
    ///   when `maxWorkers` is zero or less.
    public init(maxWorkers: Int? = nil) throws {
        let count = try AdapterSupport.workerCount(maxWorkers)
        self.maxWorkers = count
        queue.name = "OperationQueueExecutor"
        queue.maxConcurrentOperationCount = count
    }

    public func submit<Result: Sendable>(
        _ job: @escaping @Sendable () throws -> Result
    ) throws -> any ConcurrentFuture<Result> {
        let future = Future<Result>()
        // The operation is added under the lock that shutdown takes, so a
        // submit that got past the check is always in the queue that
        // shutdown waits for. Adding never waits for the operation to run.
        try ledger.withLock { ledger throws in
            let ticket = try ledger.admit(future)
            queue.addOperation(BlockOperation { [self] in
                self.ledger.withLock { $0.started(ticket) }
                AdapterSupport.run(job, for: future)
            })
        }
        return future
    }

    public func shutdown(wait: Bool, cancelFutures: Bool) {
        let cancels = ledger.withLock { $0.close(cancelling: cancelFutures) }
        // The futures first: every job not started by then is in `cancels`,
        // so an operation that cancelAllOperations() stops before its block
        // runs never leaves a future pending.
        for cancel in cancels { cancel() }
        if cancelFutures { queue.cancelAllOperations() }
        if wait { queue.waitUntilAllOperationsAreFinished() }
    }
}

import ConcurrencyConformance
import ConcurrencyPrimitives
import ConcurrencyReference
import ConcurrencySpec
import Dispatch
import Foundation

/// Dispatch as an executor: a concurrent `DispatchQueue` bounded to
/// `maxWorkers`, judged by the kit as an engine it did not write.
///
/// The glue is the usual bounded-queue idiom (see ``DispatchQueueExecutor``).
/// Futures are the reference ``ConcurrencyReference/Future``: the adapter is
/// about the executor engine, not about futures.
///
/// Dispatch lends its threads from a pool shared by the whole process: they
/// are not started for the executor, not reused on purpose, and not joined at
/// shutdown. So the adapter declares ``Capability/threadPool`` (jobs run on
/// threads of this process) but not ``Capability/ownsWorkerThreads``, and,
/// having no hook that runs once per worker thread, not
/// ``Capability/workerInitializer`` either: the clauses that need them are
/// visible skips.
public enum DispatchQueueAdapter: ExecutorSubject {
    public static let name = "dispatch-queue"
    public static let kind = Implementation.Kind.adapter
    public static let summary = "a concurrent DispatchQueue bounded to maxWorkers by a semaphore, fed in order by a serial queue"
    public static let capabilities: Set<Capability> = [.threadPool]

    /// Differences of Dispatch itself, each stated under its clause in
    /// CONFORMANCE.md: its own EXE-028, and what follows from it for every
    /// engine on Dispatch's shared pool.
    public static let knownDeviations: [String: String] = AdapterSupport.dispatchPoolConsequences.merging([
        "EXE-028": "Dispatch runs blocking work on a process-wide pool about as wide as the machine has cores and, on Linux, adds a thread at most about once a second when it sees its workers blocked, so more blocking calls than cores do not all run at once however large maxWorkers is.",
    ]) { _, own in own }

    /// Returns a ``DispatchQueueExecutor``.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)`` when
    ///   `maxWorkers` is zero or less, or when an initializer is given:
    ///   Dispatch has no hook that runs once per worker thread.
    public static func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)?
    ) throws -> any ConcurrentExecutor {
        try AdapterSupport.refuseInitializer(initializer, engine: "DispatchQueue")
        return try DispatchQueueExecutor(maxWorkers: maxWorkers)
    }
}

/// A ``ConcurrencySpec/ConcurrentExecutor`` that runs its jobs on a concurrent
/// `DispatchQueue`, at most ``maxWorkers`` at once, starting them in
/// submission order.
///
/// A serial queue admits the jobs one at a time, in submission order: each
/// takes a slot of a `DispatchSemaphore(value: maxWorkers)` and is handed to
/// the concurrent queue, which gives the slot back once the job is done. Only
/// the admitting serial queue ever waits on the semaphore, so queued jobs do
/// not hold threads of Dispatch's pool. A `DispatchGroup` answers
/// `shutdown(wait: true)`.
///
/// Dispatch, not the semaphore, has the last word on how many jobs run at
/// once: its pool is about as wide as the machine has cores. Calling
/// `shutdown(wait: true)` from one of the executor's own jobs never returns,
/// since that job waits for itself.
public final class DispatchQueueExecutor: ConcurrentExecutor {
    /// The most jobs that run at once.
    public let maxWorkers: Int

    /// Admits jobs one at a time, in submission order, as slots free up.
    private let admission: DispatchQueue
    /// Runs the admitted jobs.
    private let workers: DispatchQueue
    /// One token per job allowed to run at once.
    private let slots: DispatchSemaphore
    /// Entered by every submit, left once its job has run or been skipped.
    private let unfinished = DispatchGroup()
    private let ledger = ConditionLock(AdapterLedger())

    /// Creates an executor.
    /// - Parameter maxWorkers: At most this many jobs at once; `nil` for
    ///   `min(32, cores + 4)`. Dispatch sizes its shared pool by the cores,
    ///   but the bound here is the adapter's own semaphore, so it takes the
    ///   default of the contract it adapts to: Python's `ThreadPoolExecutor`
    ///   default since 3.8, as the reference does.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)``
    ///   when `maxWorkers` is zero or less.
    public init(maxWorkers: Int? = nil) throws {
        let count = try AdapterSupport.workerCount(maxWorkers)
        self.maxWorkers = count
        admission = DispatchQueue(label: "DispatchQueueExecutor.admission")
        workers = DispatchQueue(label: "DispatchQueueExecutor.workers", attributes: .concurrent)
        slots = DispatchSemaphore(value: count)
    }

    public func submit<Result: Sendable>(
        _ job: @escaping @Sendable () throws -> Result
    ) throws -> any ConcurrentFuture<Result> {
        let future = Future<Result>()
        // The group is entered under the lock that shutdown takes, so a
        // submit that got past the check is always waited for.
        let ticket = try ledger.withLock { ledger throws in
            let ticket = try ledger.admit(future)
            unfinished.enter()
            return ticket
        }
        admission.async { [self] in
            slots.wait()
            workers.async { [self] in
                defer {
                    slots.signal()
                    unfinished.leave()
                }
                ledger.withLock { $0.started(ticket) }
                AdapterSupport.run(job, for: future)
            }
        }
        return future
    }

    public func shutdown(wait: Bool, cancelFutures: Bool) {
        let cancels = ledger.withLock { $0.close(cancelling: cancelFutures) }
        // A cancelled job still passes through the queues, quickly: it only
        // acknowledges the cancellation and leaves the group.
        for cancel in cancels { cancel() }
        if wait { unfinished.wait() }
    }
}

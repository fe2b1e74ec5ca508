/// Something an implementation offers, which some clauses need.
///
/// Factories imply their capability (an implementation with a future factory
/// has ``futures``); the rest are declared by the adopter, such as
/// ``synchronousCallbacks``.
public struct Capability: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String

    /// Creates a capability from its name.
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Makes ``ConcurrencySpec/ConcurrentFuture`` values on demand.
    public static let futures = Capability(rawValue: "futures")
    /// Makes ``ConcurrencySpec/ConcurrentExecutor`` values on demand.
    public static let executor = Capability(rawValue: "executor")
    /// The executor runs jobs on threads of this process (a thread pool, not
    /// a process pool): thread-local data and the default worker count of a
    /// thread pool apply.
    public static let threadPool = Capability(rawValue: "threadPool")
    /// The executor starts its worker threads itself, reuses them for later
    /// jobs, and joins them at shutdown. Engines that borrow threads from a
    /// shared pool (Dispatch, OperationQueue) lack it.
    public static let ownsWorkerThreads = Capability(rawValue: "ownsWorkerThreads")
    /// The executor runs an initializer once in each worker before its first
    /// job, and breaks when it throws.
    public static let workerInitializer = Capability(rawValue: "workerInitializer")
    /// Makes process pools on demand (``ProcessPoolFactory``): the PROC
    /// clauses apply.
    public static let processPool = Capability(rawValue: "processPool")
    /// The executor runs its jobs in other processes, so a check cannot
    /// share memory with them (no latches, counters or closures): clauses
    /// written that way exclude it and are skipped with their reason.
    public static let processIsolation = Capability(rawValue: "processIsolation")
    /// Makes ``ConcurrencySpec/EventLoop`` values on demand.
    public static let eventLoop = Capability(rawValue: "eventLoop")
    /// The loop offers a virtual clock: when nothing is ready, its time jumps
    /// to the next timer, so timing clauses check exact loop-time deltas at
    /// once. Clauses that measure time run in both clock modes.
    public static let virtualTime = Capability(rawValue: "virtualTime")
}

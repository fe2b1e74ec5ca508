import ConcurrencyPrimitives

/// Everything a ``ThreadPoolExecutor`` guards with its lock.
struct PoolState {
    /// Jobs moved out of the inbox and not yet taken by a worker.
    var queue = FIFOQueue<any PoolRunnable>()
    /// Where a worker swaps the inbox's jobs before queueing them; kept
    /// between uses for its capacity.
    var intake: [any PoolRunnable] = []
    /// One slot per started worker.
    var threads: [WorkerSlot] = []
    /// Set by shutdown once no submit is in flight: with an empty queue
    /// and inbox, workers exit.
    var shutDown = false
    /// Why the pool broke, once it has.
    var broken: String?
    /// Whether a shutdown(wait: true) has taken on joining the workers.
    var joinClaimed = false
}

/// A worker thread as the pool knows it.
enum WorkerSlot {
    /// Reserved by submit; the thread handle is not stored yet.
    case starting
    /// Running or exited, and joinable.
    case started(WorkerThread)
    /// Exited with nobody to join it; it detached itself.
    case detached

    var thread: WorkerThread? {
        if case .started(let thread) = self { thread } else { nil }
    }
}

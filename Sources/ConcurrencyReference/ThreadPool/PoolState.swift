import ConcurrencyPrimitives

/// Everything a ``ThreadPoolExecutor`` guards with its lock.
struct PoolState {
    var queue = FIFOQueue<any PoolJob>()
    /// One slot per started worker; `nil` until its thread handle is stored.
    var threads: [WorkerThread?] = []
    var shutDown = false
    /// Set by shutdown(cancelFutures: true): jobs not yet started are
    /// cancelled, even those a worker already took in its batch.
    var cancelPending = false
    /// Why the pool broke, once it has.
    var broken: String?
    /// Whether a shutdown(wait: true) has taken on joining the workers.
    var joinClaimed = false
}

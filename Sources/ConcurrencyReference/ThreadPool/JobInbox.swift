import Synchronization

/// A lock-free multi-producer stack of jobs that a consumer empties in one
/// exchange, in submission order.
///
/// Submitting threads never take the pool's lock: they push here. Workers
/// move the whole inbox into the pool's locked queue when they look for
/// work, so the lock is shared by the workers only, once per batch.
final class JobInbox: Sendable {
    private let head = Atomic<Unmanaged<PoolJob>?>(nil)

    /// Whether a job is waiting. Sequentially consistent: a worker about to
    /// park announces itself, then reads this; a submitter pushes, then reads
    /// the announcement. One of the two always sees the other.
    var isEmpty: Bool {
        head.load(ordering: .sequentiallyConsistent) == nil
    }

    /// Adds `job`; it is retained until taken.
    func push(_ job: PoolJob) {
        let node = Unmanaged.passRetained(job)
        var current = head.load(ordering: .relaxed)
        while true {
            job.nextInInbox = current
            let (exchanged, original) = head.compareExchange(
                expected: current, desired: node, ordering: .sequentiallyConsistent
            )
            if exchanged { return }
            current = original
        }
    }

    /// Takes every job, oldest first, and hands each to `body`.
    func takeAll(_ body: (PoolJob) -> Void) {
        var node = head.exchange(nil, ordering: .sequentiallyConsistent)
        guard node != nil else { return }
        // The stack holds the newest first: reverse the links in place.
        var oldestFirst: Unmanaged<PoolJob>?
        while let current = node {
            let job = current.takeUnretainedValue()
            node = job.nextInInbox
            job.nextInInbox = oldestFirst
            oldestFirst = current
        }
        while let current = oldestFirst {
            let job = current.takeRetainedValue()
            oldestFirst = job.nextInInbox
            job.nextInInbox = nil
            body(job)
        }
    }

    deinit {
        takeAll { $0.cancel() }
    }
}

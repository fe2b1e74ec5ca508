import ConcurrencyPrimitives
import Synchronization

/// Where submits put their jobs: a list behind a spin lock that is held for
/// an append or a swap, never longer.
///
/// Submitting threads never take the pool's lock: they append here. Workers
/// swap the whole list out when they look for work and move it into the
/// pool's locked queue, so that lock is shared by the workers only, once
/// per batch. A pthread mutex here would put the submitter to sleep
/// whenever a worker happens to be swapping (glibc does not spin), and the
/// wake-up costs more than a thousand swaps.
final class JobInbox: @unchecked Sendable {
    // @unchecked Sendable is safe: `jobs` is read and written only between
    // `spin.lock()` and `spin.unlock()`, whose acquiring exchange and
    // releasing store order every such access after the previous holder's.
    private let spin = SpinLock()
    /// Opts out of run-time exclusivity checks: the lock already makes
    /// every access exclusive, and the check cost a call per submit.
    @exclusivity(unchecked) private var jobs: [any PoolRunnable] = []
    /// `jobs.count`, readable without the lock. Sequentially consistent: a
    /// worker about to park announces itself, then reads this; a submitter
    /// appends, then reads the announcement. One always sees the other.
    private let count = Atomic<Int>(0)

    var isEmpty: Bool {
        count.load(ordering: .sequentiallyConsistent) == 0
    }

    func push(_ job: any PoolRunnable) {
        spin.lock()
        jobs.append(job)
        count.store(jobs.count, ordering: .sequentiallyConsistent)
        spin.unlock()
    }

    /// Moves every job, oldest first, to the end of `buffer`.
    func takeAll(into buffer: inout [any PoolRunnable]) {
        guard !isEmpty else { return }
        if buffer.isEmpty {
            // Swap buffers rather than copy: the two arrays trade places and
            // keep their capacity, so neither side allocates in steady state.
            spin.lock()
            swap(&jobs, &buffer)
            count.store(0, ordering: .sequentiallyConsistent)
            spin.unlock()
        } else {
            spin.lock()
            buffer.append(contentsOf: jobs)
            jobs.removeAll(keepingCapacity: true)
            count.store(0, ordering: .sequentiallyConsistent)
            spin.unlock()
        }
    }
}

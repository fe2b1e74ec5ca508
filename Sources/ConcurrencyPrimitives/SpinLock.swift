#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A lock word for data that is held for a few instructions and almost never
/// contended: no allocation, no system call, and ThreadSanitizer sees its
/// acquiring exchange and releasing store (it does not see
/// `Synchronization.Mutex` on Linux).
///
/// Embed it as a `let` next to the fields it guards, and touch those fields
/// only between ``lock()`` and ``unlock()``.
public struct SpinLock: ~Copyable, Sendable {
    @usableFromInline let locked = Atomic<Bool>(false)

    @inlinable
    public init() {}

    /// Inlinable, so that the uncontended exchange is inlined into the
    /// thread pool's submit and the loop's futures in other modules.
    @inlinable @inline(__always)
    public func lock() {
        if !locked.exchange(true, ordering: .acquiring) { return }
        lockContended()
    }

    @usableFromInline
    func lockContended() {
        var spins = 0
        while true {
            while locked.load(ordering: .relaxed) {
                spins &+= 1
                // The holder may have been preempted: let it run.
                if spins > 64 { sched_yield() }
            }
            if !locked.exchange(true, ordering: .acquiring) { return }
        }
    }

    @inlinable @inline(__always)
    public func unlock() {
        locked.store(false, ordering: .releasing)
    }
}

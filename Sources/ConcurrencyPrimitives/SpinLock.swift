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
    private let locked = Atomic<Bool>(false)

    public init() {}

    @inline(__always)
    public func lock() {
        if !locked.exchange(true, ordering: .acquiring) { return }
        lockContended()
    }

    private func lockContended() {
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

    @inline(__always)
    public func unlock() {
        locked.store(false, ordering: .releasing)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// State guarded by a pthread mutex, with a condition variable for threads
/// that wait for the state to change.
///
/// Give it a state that is not zero-sized: ThreadSanitizer reports locked
/// accesses to a `Void` state as races with the unlocked reads of the lock's
/// own fields.
///
/// Why not `Synchronization.Mutex`: on Linux (Swift 6.3) ThreadSanitizer does
/// not see its lock and unlock, so every access it guards is reported as a
/// race and the TSan pass of CI would fail on correct code. pthread calls are
/// intercepted by TSan, so this lock is both correct and checkable.
public final class ConditionLock<State>: @unchecked Sendable {
    // @unchecked Sendable is safe: `state` is read and written only inside
    // `withLock` and `wait`, that is, while `mutex` is held; the pthread
    // objects themselves are made for cross-thread use and live as long as
    // this object.
    // Inlinable, with its storage, so that every use is specialized for its
    // `State`: unspecialized, each copy of a generic state looks up the
    // metadata of the state's fields.
    @usableFromInline var state: State
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let condition: UnsafeMutablePointer<pthread_cond_t>

    /// The mutex and the condition share one allocation: a future makes one
    /// of these locks, and every allocation shows in the pool's throughput.
    private static var conditionOffset: Int {
        let alignment = MemoryLayout<pthread_cond_t>.alignment
        return (MemoryLayout<pthread_mutex_t>.size + alignment - 1) / alignment * alignment
    }

    /// Creates a lock guarding `initial`.
    public init(_ initial: State) {
        state = initial
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Self.conditionOffset + MemoryLayout<pthread_cond_t>.size,
            alignment: max(MemoryLayout<pthread_mutex_t>.alignment, MemoryLayout<pthread_cond_t>.alignment)
        )
        mutex = raw.bindMemory(to: pthread_mutex_t.self, capacity: 1)
        condition = (raw + Self.conditionOffset).bindMemory(to: pthread_cond_t.self, capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        #if canImport(Darwin)
        precondition(pthread_cond_init(condition, nil) == 0, "pthread_cond_init failed")
        #else
        // Timed waits measure against the monotonic clock, not wall time,
        // so a clock adjustment cannot stretch or cut a timeout.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init failed")
        pthread_condattr_destroy(&attributes)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        UnsafeMutableRawPointer(mutex).deallocate()
    }

    /// Runs `body` with exclusive access to the state.
    @inlinable
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Wakes every thread blocked in ``wait(until:deadline:)``.
    @inlinable
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }

    /// Wakes one thread blocked in ``wait(until:deadline:)``.
    @inlinable
    public func signal() {
        pthread_cond_signal(condition)
    }

    /// Blocks until `isSatisfied` holds for the state or `deadline` passes,
    /// then runs `body` on the state, still under the lock.
    ///
    /// - Parameters:
    ///   - isSatisfied: Evaluated under the lock before each wait.
    ///   - deadline: When to give up; `nil` waits without limit.
    ///   - body: Receives the state and whether `isSatisfied` held.
    @inlinable
    public func wait<Result>(
        until isSatisfied: (borrowing State) -> Bool,
        deadline: MonotonicInstant?,
        _ body: (inout State, _ satisfied: Bool) throws -> Result
    ) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !isSatisfied(state) {
            guard let deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            // A wake-up can come early (spuriously, or before the deadline by
            // a rounding step), so the deadline is checked against the clock
            // itself: a timeout is reported only once it has truly passed.
            let now = MonotonicInstant.now
            if now >= deadline { return try body(&state, false) }
            #if canImport(Darwin)
            var relative = (deadline - now).asTimespec
            pthread_cond_timedwait_relative_np(condition, mutex, &relative)
            #else
            var absolute = deadline.asTimespec
            pthread_cond_timedwait(condition, mutex, &absolute)
            #endif
        }
        return try body(&state, true)
    }
}

/// A reading of the monotonic clock that timed waits use.
public struct MonotonicInstant: Comparable, Sendable {
    /// Nanoseconds since an arbitrary epoch.
    public var nanoseconds: Int64

    /// The reading `nanoseconds` after the clock's epoch.
    @inlinable
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The current reading.
    @inlinable
    public static var now: MonotonicInstant {
        var spec = timespec()
        #if canImport(Darwin)
        // Darwin's CLOCK_MONOTONIC is slewed; the raw clock is the one
        // ContinuousClock reads, so waits and measurements agree.
        clock_gettime(CLOCK_MONOTONIC_RAW, &spec)
        #else
        clock_gettime(CLOCK_MONOTONIC, &spec)
        #endif
        return MonotonicInstant(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    /// The instant `duration` after now, saturating instead of overflowing;
    /// a negative duration gives an instant in the past.
    @inlinable
    public static func after(_ duration: Duration) -> MonotonicInstant {
        let now = MonotonicInstant.now
        let (sum, overflow) = now.nanoseconds.addingReportingOverflow(duration.saturatingNanoseconds)
        return MonotonicInstant(nanoseconds: overflow ? .max : sum)
    }

    @inlinable
    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    @inlinable
    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        .nanoseconds(lhs.nanoseconds - rhs.nanoseconds)
    }

    @usableFromInline
    var asTimespec: timespec {
        makeTimespec(nanoseconds: nanoseconds)
    }
}

extension Duration {
    /// The duration in nanoseconds, clamped to the range of `Int64`.
    ///
    /// `package`, unlike the rest of this module: a public member on a
    /// standard type would reach every client of the modules that import
    /// this one.
    @usableFromInline
    package var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    @usableFromInline
    var asTimespec: timespec {
        makeTimespec(nanoseconds: saturatingNanoseconds)
    }
}

@usableFromInline
func makeTimespec(nanoseconds: Int64) -> timespec {
    let clamped = max(nanoseconds, 0)
    // time_t is 32-bit on some targets (watchOS arm64_32): saturate the
    // seconds rather than trap on a timeout of decades.
    let seconds = clamped / 1_000_000_000
    return timespec(tv_sec: Int(clamping: seconds), tv_nsec: Int(clamped % 1_000_000_000))
}

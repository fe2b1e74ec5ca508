#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread storage with a lazily computed initial value: Python's
/// `threading.local()`.
///
/// Each thread sees its own value. The first read on a thread computes the
/// initial value on that thread, so lazy per-thread setup (the seed's
/// `if not hasattr(local, "x")`) happens once per thread and, in a pool,
/// once per worker rather than once per job. A thread's value is released
/// when the thread exits.
///
/// ```swift
/// let workerID = ThreadLocal { UUID() }
/// executor.submit { workerID.value }   // the same UUID for every job of a worker
/// ```
public final class ThreadLocal<Value>: @unchecked Sendable {
    // @unchecked Sendable is safe: the key is written once in init; each
    // thread reads and writes only its own slot through pthread_getspecific,
    // and `initial` is @Sendable.
    private final class Slot {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private var key = pthread_key_t()
    private let initial: @Sendable () -> Value

    /// Creates storage whose value on each thread starts as `initial()`,
    /// computed on that thread at its first read.
    public init(_ initial: @escaping @Sendable () -> Value) {
        self.initial = initial
        let status = pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            Unmanaged<AnyObject>.fromOpaque(raw).release()
            #else
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
            #endif
        }
        precondition(status == 0, "pthread_key_create failed with \(status)")
    }

    deinit {
        // Values still held by live threads are released by those threads'
        // exit; deleting the key only stops new lookups.
        pthread_key_delete(key)
    }

    /// The calling thread's value.
    public var value: Value {
        get { slot.value }
        set { slot.value = newValue }
    }

    /// Whether the calling thread has a value yet (Python: `hasattr(local, name)`).
    public var hasValue: Bool { pthread_getspecific(key) != nil }

    /// Forgets the calling thread's value; the next read computes it afresh.
    public func reset() {
        guard let raw = pthread_getspecific(key) else { return }
        pthread_setspecific(key, nil)
        Unmanaged<AnyObject>.fromOpaque(raw).release()
    }

    private var slot: Slot {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! Slot
        }
        let slot = Slot(initial())
        pthread_setspecific(key, Unmanaged<AnyObject>.passRetained(slot).toOpaque())
        return slot
    }
}

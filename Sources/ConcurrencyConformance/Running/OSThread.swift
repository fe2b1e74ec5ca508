#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The kernel's ID of a thread, to tell whether a worker has really exited.
///
/// On Linux every thread of the process is a directory
/// `/proc/self/task/<tid>` until it has exited, which gives an exact,
/// per-thread answer that is not disturbed by other tests running threads in
/// the same process (a count of the process's threads would be).
public struct OSThreadID: Hashable, Sendable, CustomStringConvertible {
    private let raw: Int

    /// The calling thread's ID, or `nil` where the platform gives none the
    /// kit can check.
    public static var current: OSThreadID? {
        #if os(Linux)
        // Glibc's gettid() is not visible to Swift; /proc/thread-self links
        // to /proc/<pid>/task/<tid> on every architecture.
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.split(separator: "/").last.flatMap { Int($0) }.map(OSThreadID.init(raw:))
        #else
        nil
        #endif
    }

    /// Whether the thread still exists.
    public var isAlive: Bool {
        #if os(Linux)
        access("/proc/self/task/\(raw)", F_OK) == 0
        #else
        true
        #endif
    }

    public var description: String { "tid \(raw)" }
}

/// A per-thread marker owned by the kit, independent of any implementation
/// under test: Python's `threading.local()` as the TLS clauses need it.
final class KitThreadLocal: @unchecked Sendable {
    // @unchecked Sendable is safe: the key is written once in init and each
    // thread touches only its own slot.
    private var key = pthread_key_t()

    init() {
        let status = pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            Unmanaged<Box>.fromOpaque(raw).release()
            #else
            if let raw { Unmanaged<Box>.fromOpaque(raw).release() }
            #endif
        }
        precondition(status == 0, "pthread_key_create failed")
    }

    deinit {
        // Keys are a finite resource (PTHREAD_KEYS_MAX); every check makes one.
        pthread_key_delete(key)
    }

    private final class Box {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    /// The calling thread's value, or `nil` when it has none.
    var value: Int? {
        get {
            pthread_getspecific(key).map { Unmanaged<Box>.fromOpaque($0).takeUnretainedValue().value }
        }
        set {
            if let old = pthread_getspecific(key) { Unmanaged<Box>.fromOpaque(old).release() }
            pthread_setspecific(key, newValue.map { Unmanaged.passRetained(Box($0)).toOpaque() })
        }
    }
}

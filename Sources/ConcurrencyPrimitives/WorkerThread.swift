#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable OS thread. Foundation's `Thread` cannot be joined, and a pool
/// that promises "no thread outlives a joined shutdown" must join.
public struct WorkerThread: @unchecked Sendable {
    // @unchecked Sendable is safe: pthread_t is an opaque handle that any
    // thread may pass to pthread_join, and each WorkerThread is joined by
    // exactly one caller (the pool hands its list to a single joiner).
    public let handle: pthread_t

    /// Starts a thread running `body`.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> WorkerThread {
        final class Box {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        #if canImport(Darwin)
        var handle: pthread_t?
        #else
        var handle = pthread_t()
        #endif
        let status = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            setCurrentThreadName(box.name)
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed with \(status)")
        #if canImport(Darwin)
        return WorkerThread(handle: handle!)
        #else
        return WorkerThread(handle: handle)
        #endif
    }

    /// Waits for the thread to exit.
    public func join() {
        pthread_join(handle, nil)
    }

    /// Lets the calling thread's resources go when it exits, for a worker
    /// that nobody will join (a pool shut down without waiting). Without it
    /// an exited, unjoined thread stays a zombie, which ThreadSanitizer
    /// rightly reports as a leak.
    public static func detachCurrent() {
        pthread_detach(pthread_self())
    }

    /// Whether the calling thread is this thread.
    public var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }
}

/// Names the calling thread as `ps`, debuggers and Foundation's
/// `Thread.current.name` see it. Linux keeps 15 bytes of a name and refuses
/// a longer one altogether, so it is cut here, as CPython does for native
/// threads. This module avoids Foundation so that a worker process, which
/// links it through the contracts, starts without loading Foundation.
private func setCurrentThreadName(_ name: String) {
    let short = Array(name.utf8.prefix(15))
    #if canImport(Darwin)
    _ = String(decoding: short, as: UTF8.self).withCString { pthread_setname_np($0) }
    #else
    // Glibc's overlay does not import pthread_setname_np, and prctl is
    // variadic; the kernel's own file for the name is the portable way.
    let descriptor = open("/proc/thread-self/comm", O_WRONLY)
    guard descriptor >= 0 else { return }
    _ = short.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    #endif
}

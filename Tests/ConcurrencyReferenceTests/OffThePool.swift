import Foundation

/// Runs blocking or CPU-heavy work on a thread of its own: the cooperative
/// pool has one thread per core here, and seconds of work on one of them
/// (a loop that runs, a coder fed megabytes) stall every other suite of the
/// run.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

import ConcurrencySpec
import ConcurrencyWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The program a ``ProcessPoolExecutor`` starts its workers from.
///
/// A worker program is any executable that, given
/// ``ConcurrencyWorker/ProcessWorker/argument``, serves calls with
/// ``ConcurrencyWorker/ProcessWorker/run(jobs:)``, and it can run only the
/// job types compiled into it and listed there.
public struct WorkerProgram: Sendable, Hashable, CustomStringConvertible {
    /// The executable's path.
    public let path: String

    /// A dedicated worker executable at `path`.
    public static func executable(_ path: String) -> WorkerProgram {
        WorkerProgram(path: path)
    }

    /// The running program itself, which must call
    /// ``ConcurrencyWorker/ProcessWorker/runIfRequested(jobs:)`` first thing
    /// in `main` (Python's `if __name__ == '__main__':` guard).
    public static var currentExecutable: WorkerProgram {
        WorkerProgram(path: currentExecutablePath())
    }

    /// The program to use when none is named, in this order: the path in the
    /// environment variable `CONCURRENCY_WORKER`; the running program when it
    /// installed the worker guard; an executable named `concurrency-worker`
    /// beside the running program (where SwiftPM builds it).
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/invalidArgument(_:)``
    ///   when none of them exists.
    public static func automatic() throws -> WorkerProgram {
        if let path = getenv("CONCURRENCY_WORKER").map({ String(cString: $0) }), !path.isEmpty {
            return .executable(path)
        }
        if ProcessWorker.isGuardInstalled { return .currentExecutable }
        let running = currentExecutablePath()
        let directory = running.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let beside = directory + "/concurrency-worker"
        if access(beside, X_OK) == 0 { return .executable(beside) }
        throw ConcurrencyError.invalidArgument(
            "no worker program: set CONCURRENCY_WORKER, call ProcessWorker.runIfRequested(jobs:) in main, or build concurrency-worker beside \(running)"
        )
    }

    public var description: String { path }
}

/// The running executable's path, resolved once: `/proc/self/exe` names the
/// binary even when the program was started through a relative path or a
/// symbolic link.
private func currentExecutablePath() -> String {
    #if os(Linux)
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 {
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    #endif
    return CommandLine.arguments[0]
}

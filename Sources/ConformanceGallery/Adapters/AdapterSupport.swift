import ConcurrencyReference
import ConcurrencySpec
import Foundation

/// What both adapters need around the engine they wrap: the shut-down flag,
/// and the futures of jobs that have not started, so that
/// `shutdown(cancelFutures: true)` can cancel them.
struct AdapterLedger {
    private var shutDown = false
    private var nextTicket = 0
    private var notStarted: [Int: @Sendable () -> Void] = [:]

    /// Records a job about to be handed to the engine.
    /// - Returns: The job's ticket.
    /// - Throws: ``ConcurrencySpec/ConcurrencyError/executorShutDown`` after shutdown.
    mutating func admit<Value>(_ future: Future<Value>) throws -> Int {
        if shutDown { throw ConcurrencyError.executorShutDown }
        nextTicket += 1
        notStarted[nextTicket] = { future.cancel() }
        return nextTicket
    }

    /// The job has started (or been skipped): shutdown no longer cancels it.
    mutating func started(_ ticket: Int) {
        notStarted[ticket] = nil
    }

    /// Refuses later jobs and, when asked, hands back the cancellations of
    /// the jobs not yet started, in submission order.
    mutating func close(cancelling: Bool) -> [@Sendable () -> Void] {
        shutDown = true
        guard cancelling else { return [] }
        defer { notStarted.removeAll() }
        return notStarted.sorted { $0.key < $1.key }.map(\.value)
    }
}

enum AdapterSupport {
    /// The worker limit an adapter reports: the one given, or Python's
    /// `ThreadPoolExecutor` default since 3.8, as the reference uses. The
    /// engines' own defaults leave the width to the system, which is no
    /// number `maxWorkers` could report.
    static func workerCount(_ maxWorkers: Int?) throws -> Int {
        let count = maxWorkers ?? min(32, ProcessInfo.processInfo.activeProcessorCount + 4)
        guard count > 0 else {
            throw ConcurrencyError.invalidArgument("maxWorkers must be greater than 0, got \(count)")
        }
        return count
    }

    /// Neither engine has a hook that runs once per worker thread.
    static func refuseInitializer(_ initializer: (@Sendable () throws -> Void)?, engine: String) throws {
        guard initializer == nil else {
            throw ConcurrencyError.invalidArgument("\(engine) has no per-worker initializer hook")
        }
    }

    /// Runs a job for its future: not at all when the future was cancelled
    /// while queued, otherwise storing what the job returns or throws.
    static func run<Value: Sendable>(_ job: () throws -> Value, for future: Future<Value>) {
        guard (try? future.setRunningOrNotifyCancel()) == true else { return }
        switch Result(catching: job) {
        case .success(let value): try? future.setResult(value)
        case .failure(let error): try? future.setException(error)
        }
    }
}

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
    /// Known deviations that follow from EXE-028 for any engine whose jobs
    /// run on Dispatch's process-wide pool (DispatchQueue, OperationQueue),
    /// stated once for every such adapter.
    static let dispatchPoolConsequences: [String: String] = [
        "EXE-006": "A consequence of EXE-028: the engine's pool is shared by the whole process and about as wide as the machine has cores, so on a machine with two cores two blocking calls overlap only while nothing else in the process holds one of its threads; in one full test run under ThreadSanitizer they ran one after the other.",
        "ASC-001": "A consequence of EXE-028: the seed's example needs five sleeping jobs to run at once; with fewer running, they finish out of the order the check expects, though asCompleted yields them in the order they really completed.",
        "GIL-004": "A consequence of EXE-028: four sleeping jobs need four threads at once; on a machine with fewer cores the engine runs them about as many at a time as there are cores, so they take two or more rounds of the sleep. Nothing holds a global lock: GIL-001, GIL-003 and GIL-005, which need only two jobs at once, pass.",
    ]

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

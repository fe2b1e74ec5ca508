import ConcurrencyConformance
import ConcurrencyPrimitives
import ConcurrencyReference
import ConcurrencySpec
import ConcurrencyWorker
import Foundation
import Synchronization

/// The reference process pool with one defect: either a setting the defect
/// distorts, a fault built into the pool's internals (for what no wrapper
/// can reach: reaping, frame limits, death detection), or a wrapper that
/// bends what the pool reports. With no defect it is the reference pool.
final class MutantProcessPool: ConcurrentExecutor {
    let maxWorkers: Int
    private let defect: ProcessDefect?
    private let makeInner: @Sendable () throws -> ProcessPoolExecutor
    private let inner: Mutex<ProcessPoolExecutor>
    /// Where `runsInParent` runs its calls.
    private let local: ThreadPoolExecutor?
    /// Set by `unserializableBreaksPool` once a call failed to encode or decode.
    private let poisoned = Atomic<Bool>(false)

    init(maxWorkers: Int?, initializer: (any PortableJob)?, maxTasksPerChild: Int?, defect: ProcessDefect?) throws {
        var workers = maxWorkers
        if workers == nil, defect == .defaultThreadPoolCount {
            workers = min(32, ProcessPoolExecutor.defaultMaxWorkers + 4)
        }
        if let count = workers, count <= 0, defect == .acceptsZeroProcesses { workers = 1 }
        let reported = workers ?? ProcessPoolExecutor.defaultMaxWorkers
        let innerWorkers = defect == .serializesWorkers ? 1 : workers
        let innerInitializer = defect == .initializerIgnored ? nil : initializer
        let innerTasks: Int? = switch defect {
        case .freshWorkerPerCall: 1
        case .maxTasksIgnored: nil
        default: maxTasksPerChild
        }
        var faults = ProcessPoolFaults()
        faults.ignoresWorkerDeath = defect == .ignoresWorkerDeath
        faults.skipsReaping = defect == .leavesZombies
        faults.ignoresFrameLimit = defect == .trustsFrameLength
        let make: @Sendable () throws -> ProcessPoolExecutor = { [faults] in
            try ProcessPoolExecutor(
                maxWorkers: innerWorkers,
                program: nil,
                initializer: innerInitializer,
                maxTasksPerChild: innerTasks,
                faults: faults
            )
        }
        let first = try make()
        self.maxWorkers = defect == .serializesWorkers ? reported : first.maxWorkers
        self.defect = defect
        makeInner = make
        inner = Mutex(first)
        local = defect == .runsInParent ? try ThreadPoolExecutor(maxWorkers: reported) : nil
    }

    deinit {
        shutdown(wait: false, cancelFutures: false)
    }

    private var pool: ProcessPoolExecutor { inner.withLock { $0 } }

    func submit<Result: Sendable>(_ job: @escaping @Sendable () throws -> Result) throws -> any ConcurrentFuture<Result> {
        if let local { return try local.submit(job) }
        return try pool.submit(job)
    }

    func submit<Job: PortableJob>(_ job: Job) throws -> any ConcurrentFuture<Job.Result> {
        switch defect {
        case .runsInParent:
            return try local!.submit(job)
        case .encodingFailureThrows:
            _ = try BinaryEncoder().encode(job)
            return try pool.submit(job)
        case .unserializableBreaksPool:
            if poisoned.load(ordering: .acquiring) {
                throw ConcurrencyError.brokenExecutor(reason: "a call could not be encoded")
            }
            return relay(try pool.submit(job)) { error in
                if (error as? ConcurrencyError)?.kind == .unserializable {
                    self.poisoned.store(true, ordering: .releasing)
                }
                return error
            }
        case .errorsLoseType:
            return relay(try pool.submit(job)) { error in
                RemoteJobError(typeName: "Error", message: "\(error)")
            }
        case .brokenPoolRecovers:
            do {
                return try pool.submit(job)
            } catch ConcurrencyError.brokenExecutor {
                let fresh = try makeInner()
                inner.withLock { $0 = fresh }
                return try fresh.submit(job)
            }
        default:
            return try pool.submit(job)
        }
    }

    func map<Job: PortableJob>(_ jobs: some Sequence<Job>, timeout: Duration?, chunksize: Int) throws -> MapResults<Job.Result> {
        switch defect {
        case .runsInParent:
            return try local!.map(jobs, timeout: timeout, chunksize: chunksize)
        case .mapDropsLastChunk:
            let all = Array(jobs)
            let kept = chunksize > 1 && all.count % chunksize != 0 ? Array(all.dropLast(all.count % chunksize)) : all
            return try pool.map(kept, timeout: timeout, chunksize: chunksize)
        case .chunksizeUnchecked:
            return try pool.map(jobs, timeout: timeout, chunksize: max(1, chunksize))
        default:
            return try pool.map(jobs, timeout: timeout, chunksize: chunksize)
        }
    }

    func shutdown(wait: Bool, cancelFutures: Bool) {
        local?.shutdown(wait: wait, cancelFutures: cancelFutures)
        pool.shutdown(wait: wait, cancelFutures: cancelFutures)
    }

    /// A future that completes as `source` does, with its error passed
    /// through `transform` first.
    private func relay<Value: Sendable>(
        _ source: any ConcurrentFuture<Value>,
        _ transform: @escaping @Sendable (any Error) -> any Error
    ) -> any ConcurrentFuture<Value> {
        let relayed = Future<Value>()
        _ = try? relayed.setRunningOrNotifyCancel()
        source.addDoneCallback { done in
            do {
                let value = try done.result(timeout: .zero)
                try? relayed.setResult(value)
            } catch {
                try? relayed.setException(transform(error))
            }
        }
        return relayed
    }
}

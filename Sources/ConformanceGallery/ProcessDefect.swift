import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec

/// One documented way to break a process pool. Each defect is one mutant of
/// the gallery and names the PROC clauses that must catch it.
public enum ProcessDefect: String, CaseIterable, Sendable {
    case runsInParent, freshWorkerPerCall, encodingFailureThrows, unserializableBreaksPool, errorsLoseType
    case brokenPoolRecovers, initializerIgnored, defaultThreadPoolCount, acceptsZeroProcesses, maxTasksIgnored
    case serializesWorkers, ignoresWorkerDeath, leavesZombies, trustsFrameLength, mapDropsLastChunk
    case chunksizeUnchecked

    /// What is broken, in one line.
    public var summary: String {
        switch self {
        case .runsInParent: "calls run on threads of the submitting process, not in worker processes"
        case .freshWorkerPerCall: "every call gets a new worker process (maxTasksPerChild is always 1)"
        case .encodingFailureThrows: "a job that cannot be encoded makes submit throw instead of failing its future"
        case .unserializableBreaksPool: "a call that fails to encode or decode breaks the whole pool"
        case .errorsLoseType: "every error from a worker arrives as a plain RemoteJobError, portable or not"
        case .brokenPoolRecovers: "after a worker dies the pool quietly starts over instead of staying broken"
        case .initializerIgnored: "the initializer is never run, so its failure goes unnoticed"
        case .defaultThreadPoolCount: "the default worker count is the thread pool's min(32, cores + 4), not the processor count"
        case .acceptsZeroProcesses: "maxWorkers of zero or less is quietly raised to 1"
        case .maxTasksIgnored: "maxTasksPerChild is ignored: workers are never replaced"
        case .serializesWorkers: "however many workers are asked for, only one runs at a time"
        case .ignoresWorkerDeath: "a worker that dies is forgotten, and its calls never complete"
        case .leavesZombies: "exited workers are never waited for and stay zombies"
        case .trustsFrameLength: "a frame length from a worker is believed however large, so the pool waits for 4 GiB"
        case .mapDropsLastChunk: "map drops the last chunk when it is shorter than chunksize"
        case .chunksizeUnchecked: "map raises a chunksize below 1 to 1 instead of refusing it"
        }
    }

    /// The clauses whose rule the defect breaks; each must catch it.
    public var targets: [String] {
        switch self {
        case .runsInParent: ["PROC-001", "PROC-002"]
        case .freshWorkerPerCall: ["PROC-001"]
        case .encodingFailureThrows: ["PROC-003"]
        case .unserializableBreaksPool: ["PROC-003", "PROC-014"]
        case .errorsLoseType: ["PROC-004"]
        case .brokenPoolRecovers: ["PROC-005", "PROC-006"]
        case .initializerIgnored: ["PROC-006", "PROC-015"]
        case .defaultThreadPoolCount, .acceptsZeroProcesses: ["PROC-007"]
        case .maxTasksIgnored: ["PROC-008"]
        case .serializesWorkers: ["PROC-009"]
        case .ignoresWorkerDeath: ["PROC-005", "PROC-010"]
        case .leavesZombies: ["PROC-010", "PROC-012"]
        case .trustsFrameLength: ["PROC-011"]
        case .mapDropsLastChunk, .chunksizeUnchecked: ["PROC-013"]
        }
    }

    /// The mutant, as an implementation under test.
    public var implementation: Implementation {
        Implementation(
            name: "mutant:\(rawValue)",
            kind: .mutant,
            summary: summary,
            targets: targets,
            capabilities: [.processIsolation],
            processPools: MutantProcessPoolFactory(defect: self)
        )
    }
}

/// Makes process pools with one defect, or none.
struct MutantProcessPoolFactory: ProcessPoolFactory {
    let defect: ProcessDefect?

    func makeProcessPool(maxWorkers: Int?, initializer: (any PortableJob)?, maxTasksPerChild: Int?) throws -> any ConcurrentExecutor {
        try MutantProcessPool(maxWorkers: maxWorkers, initializer: initializer, maxTasksPerChild: maxTasksPerChild, defect: defect)
    }
}

import ConcurrencyConformance
import ConcurrencySpec

/// One documented way to break an executor, `map`, `wait` or `asCompleted`.
/// Each defect is one mutant of the gallery and names the clauses that must
/// catch it.
public enum ExecutorDefect: String, CaseIterable, Sendable {
    case submitRunsInline, runsJobTwice, jobErrorWrapped, acceptsZeroWorkers, unboundedWorkers, singleWorker
    case defaultOnePerCore, noIdleReuse, initializerPerJob, initializerFailureIgnored, runningOnSubmit
    case runsCancelledJobs, shutdownDoesNotWait, workersOutliveShutdown, shutdownNoWaitDropsQueue
    case cancelFuturesIgnored, acceptsAfterShutdown, shutdownCancelsQueued, runsNestedInline
    case jobErrorKillsWorker, dropsJobsUnderContention, secondShutdownReturnsEarly, lostWakeupParkedWorker
    case lifoQueue, submitFromWorkerRejected, freshThreadPerJob, workersCappedAtCores, globalInterpreterLock
    case mapCompletionOrder, mapLazy, mapSequential, mapContinuesAfterError, mapTimeoutPerItem
    case mapDropsLast, mapChunkDropsRemainder, mapCloseNoCancel, mapTimeoutKeepsGoing
    case waitReturnsEarly, waitIgnoresTimeout, waitFirstCompletedWaitsAll, waitFirstExceptionIgnoresErrors
    case waitAlwaysBlocks, waitKeepsDuplicates, waitCancelsNotDone, waitIgnoresCancelled
    case ascInputOrder, ascDoneLast, ascDuplicates, ascIgnoresTimeout, ascSkipsCancelled, ascTimeoutCountWrong

    /// What is broken, in one line.
    public var summary: String {
        switch self {
        case .submitRunsInline: "submit runs the job on the calling thread before returning"
        case .runsJobTwice: "every job runs twice; the second outcome is kept"
        case .jobErrorWrapped: "the job's error reaches the future wrapped in another error"
        case .acceptsZeroWorkers: "maxWorkers of zero or less is quietly raised to 1"
        case .unboundedWorkers: "every submit starts a new thread, whatever maxWorkers says"
        case .singleWorker: "only one worker thread is ever started"
        case .defaultOnePerCore: "the default worker count is one per core (the seed's advice) instead of min(32, cores + 4)"
        case .noIdleReuse: "a new thread is started on every submit while below maxWorkers, even with an idle worker (Python before 3.8)"
        case .initializerPerJob: "the initializer runs before every job instead of once per worker"
        case .initializerFailureIgnored: "a throwing initializer is ignored and jobs run anyway"
        case .runningOnSubmit: "futures are marked running when submitted, not when their job starts"
        case .runsCancelledJobs: "the worker runs a job even when its future was cancelled"
        case .shutdownDoesNotWait: "shutdown(wait: true) returns at once"
        case .workersOutliveShutdown: "shutdown(wait: true) waits for the jobs but not for the worker threads to exit"
        case .shutdownNoWaitDropsQueue: "shutdown(wait: false) drops the queued jobs, whose futures never complete"
        case .cancelFuturesIgnored: "shutdown(cancelFutures: true) cancels nothing"
        case .acceptsAfterShutdown: "submit after shutdown is accepted"
        case .shutdownCancelsQueued: "shutdown(wait: true) cancels the queued jobs as if cancelFutures were set"
        case .runsNestedInline: "a submit from a busy worker of a saturated pool runs the job inline"
        case .jobErrorKillsWorker: "a worker exits after a job that throws and is not replaced"
        case .dropsJobsUnderContention: "submit picks the queue slot and stores into it in two lock sections, so concurrent submits overwrite each other"
        case .secondShutdownReturnsEarly: "a shutdown(wait: true) that finds the pool already shutting down returns at once"
        case .lostWakeupParkedWorker: "submit never wakes a parked worker, which only polls every 2 s"
        case .lifoQueue: "the queue is last in, first out"
        case .submitFromWorkerRejected: "a submit from one of the pool's own workers is refused"
        case .freshThreadPerJob: "every job runs on a new thread, which exits after it"
        case .workersCappedAtCores: "the pool never runs more calls at once than there are cores, whatever maxWorkers says"
        case .globalInterpreterLock: "every job runs holding one lock the pool's workers share, so jobs never overlap, whatever maxWorkers says"
        case .mapCompletionOrder: "map yields results in completion order"
        case .mapLazy: "map submits each call only when its result is read"
        case .mapSequential: "map chains its calls, each waiting for the previous one"
        case .mapContinuesAfterError: "map's results go on after an element's error"
        case .mapTimeoutPerItem: "map's timeout restarts for every result instead of counting from the map call"
        case .mapDropsLast: "map drops the last element of its input"
        case .mapChunkDropsRemainder: "with a chunk size above 1, map drops the last, shorter chunk"
        case .mapCloseNoCancel: "closing map's results cancels nothing"
        case .mapTimeoutKeepsGoing: "map's results go on after a timeout instead of ending"
        case .waitReturnsEarly: "wait(allCompleted) returns when the first future completes"
        case .waitIgnoresTimeout: "wait ignores its timeout"
        case .waitFirstCompletedWaitsAll: "wait(firstCompleted) waits for every future"
        case .waitFirstExceptionIgnoresErrors: "wait(firstException) waits for every future even after a failure"
        case .waitAlwaysBlocks: "wait blocks until the next completion even when its condition already holds"
        case .waitKeepsDuplicates: "wait reports a repeated future once per occurrence"
        case .waitCancelsNotDone: "wait cancels the futures it returns as not done"
        case .waitIgnoresCancelled: "wait treats a cancelled future as not done"
        case .ascInputOrder: "asCompleted yields in input order"
        case .ascDoneLast: "asCompleted yields the futures already done at the start last"
        case .ascDuplicates: "asCompleted yields a repeated future once per occurrence"
        case .ascIgnoresTimeout: "asCompleted ignores its timeout"
        case .ascSkipsCancelled: "asCompleted never yields a cancelled future"
        case .ascTimeoutCountWrong: "asCompleted's timeout error does not count the unfinished futures"
        }
    }

    /// The clauses whose rule the defect breaks; each must catch it.
    public var targets: [String] {
        switch self {
        case .submitRunsInline: ["EXE-001", "TLS-005"]
        case .runsJobTwice: ["EXE-001", "GIL-002"]
        case .jobErrorWrapped: ["EXE-003"]
        case .acceptsZeroWorkers: ["EXE-004"]
        case .unboundedWorkers: ["EXE-005", "TLS-003"]
        case .singleWorker: ["EXE-006", "MAP-003", "TLS-004"]
        case .defaultOnePerCore: ["EXE-007"]
        case .noIdleReuse: ["EXE-008"]
        case .initializerPerJob: ["EXE-009"]
        case .initializerFailureIgnored: ["EXE-010"]
        case .runningOnSubmit: ["EXE-011"]
        case .runsCancelledJobs: ["EXE-012"]
        case .shutdownDoesNotWait: ["EXE-013", "EXE-017", "EXE-018"]
        case .workersOutliveShutdown: ["EXE-029"]
        case .shutdownNoWaitDropsQueue: ["EXE-014"]
        case .cancelFuturesIgnored: ["EXE-015"]
        case .acceptsAfterShutdown: ["EXE-016"]
        case .shutdownCancelsQueued: ["EXE-019"]
        case .runsNestedInline: ["EXE-021"]
        case .jobErrorKillsWorker: ["EXE-022"]
        case .dropsJobsUnderContention: ["EXE-023"]
        case .secondShutdownReturnsEarly: ["EXE-024"]
        case .lostWakeupParkedWorker: ["EXE-025"]
        case .lifoQueue: ["EXE-026"]
        case .submitFromWorkerRejected: ["EXE-027"]
        case .freshThreadPerJob: ["TLS-002", "TLS-003"]
        case .workersCappedAtCores: ["EXE-028"]
        case .globalInterpreterLock: ["GIL-001", "GIL-003", "GIL-004", "GIL-005"]
        case .mapCompletionOrder: ["MAP-001"]
        case .mapLazy: ["MAP-002"]
        case .mapSequential: ["MAP-003"]
        case .mapContinuesAfterError: ["MAP-004"]
        case .mapTimeoutPerItem: ["MAP-005"]
        case .mapDropsLast: ["MAP-006"]
        case .mapChunkDropsRemainder: ["MAP-007"]
        case .mapCloseNoCancel: ["MAP-008"]
        case .mapTimeoutKeepsGoing: ["MAP-009"]
        case .waitReturnsEarly: ["WAIT-001"]
        case .waitIgnoresTimeout: ["WAIT-002"]
        case .waitFirstCompletedWaitsAll: ["WAIT-003"]
        case .waitFirstExceptionIgnoresErrors: ["WAIT-004"]
        case .waitAlwaysBlocks: ["WAIT-005"]
        case .waitKeepsDuplicates: ["WAIT-006"]
        case .waitCancelsNotDone: ["WAIT-008"]
        case .waitIgnoresCancelled: ["WAIT-009"]
        case .ascInputOrder: ["ASC-001"]
        case .ascDoneLast: ["ASC-002"]
        case .ascDuplicates: ["ASC-003"]
        case .ascIgnoresTimeout: ["ASC-004"]
        case .ascSkipsCancelled: ["ASC-006"]
        case .ascTimeoutCountWrong: ["ASC-009"]
        }
    }

    /// Whether the kit can catch the defect on this platform: a worker
    /// thread's exit is only observable where the kit can see kernel thread
    /// IDs (Linux).
    public var isObservableHere: Bool {
        self != .workersOutliveShutdown || OSThreadID.current != nil
    }

    /// The mutant, as an implementation under test.
    public var implementation: Implementation {
        Implementation(
            name: "mutant:\(rawValue)",
            kind: .mutant,
            summary: summary,
            targets: targets,
            capabilities: [.threadPool, .ownsWorkerThreads, .workerInitializer],
            executors: MutantExecutorFactory(defect: self)
        )
    }
}

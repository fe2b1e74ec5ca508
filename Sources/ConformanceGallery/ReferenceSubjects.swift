import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
import SeedJobs

/// The reference implementation, described to the kit exactly as an adopter
/// describes theirs: through the public subject protocols, with no private
/// hooks.
public enum ReferenceImplementation: FutureSubject, ExecutorSubject, LoopSubject {
    public static let name = "reference"
    public static let kind = Implementation.Kind.reference
    public static let summary = "ConcurrencyReference: Future, ThreadPoolExecutor and SerialEventLoop"
    public static let capabilities: Set<Capability> = [.threadPool, .ownsWorkerThreads, .workerInitializer, .virtualTime]

    public static func makeLoop(virtualTime: Bool) throws -> any EventLoop {
        SerialEventLoop(clock: virtualTime ? .virtual : .real)
    }

    public static func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value> {
        Future<Value>()
    }

    public static func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)?
    ) throws -> any ConcurrentExecutor {
        try ThreadPoolExecutor(maxWorkers: maxWorkers, initializer: initializer)
    }
}

/// The reference process pool, as its own column of the matrix: the PROC
/// clauses, and every executor clause that can reach another process.
public enum ReferenceProcessPool: ExecutorSubject, ProcessPoolSubject {
    public static let name = "reference-processes"
    public static let kind = Implementation.Kind.reference
    public static let summary = "ConcurrencyReference.ProcessPoolExecutor: worker processes running portable jobs"
    public static let capabilities: Set<Capability> = [.processIsolation]

    public static func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)?
    ) throws -> any ConcurrentExecutor {
        guard initializer == nil else {
            // Never asked: the subject does not declare workerInitializer.
            throw ConcurrencyError.invalidArgument("a closure initializer cannot run in a worker process; pass a PortableJob")
        }
        return try ProcessPoolExecutor(maxWorkers: maxWorkers)
    }

    public static func makeProcessPool(
        maxWorkers: Int?,
        initializer: (any PortableJob)?,
        maxTasksPerChild: Int?
    ) throws -> any ConcurrentExecutor {
        try ProcessPoolExecutor(maxWorkers: maxWorkers, initializer: initializer, maxTasksPerChild: maxTasksPerChild)
    }
}

/// Every implementation the package knows.
public enum Gallery {
    /// The reference implementation.
    public static let reference = Implementation(ReferenceImplementation.self)

    /// The reference process pool.
    public static let referenceProcesses = Implementation(ReferenceProcessPool.self)

    /// The job types the package's worker program registers: the kit's and
    /// the seed's.
    public static let workerJobs: [any PortableJob.Type] = Conformance.workerJobs + seedJobs

    /// Engines the package did not write, made to conform with thin glue.
    public static let adapters: [Implementation] = [
        Implementation(DispatchQueueAdapter.self),
        Implementation(OperationQueueAdapter.self),
    ]

    /// Implementations that are not mutants: the columns of the matrix.
    public static let implementations: [Implementation] = [reference, referenceProcesses] + adapters

    /// The mutant gallery: one implementation per defect that the kit can
    /// observe on this platform.
    public static let mutants: [Implementation] =
        FutureDefect.allCases.map(\.implementation)
        + ExecutorDefect.allCases.filter(\.isObservableHere).map(\.implementation)
        + LoopDefect.allCases.map(\.implementation)
        + ProcessDefect.allCases.map(\.implementation)

    /// The mutant engine without a defect. It passes every clause, which shows
    /// that each mutant is caught because of its defect and nothing else.
    public static let mutantBaseline = Implementation(
        name: "mutant-baseline",
        kind: .external,
        summary: "the mutants' future, pool, loop and process pool with no defect switched on",
        capabilities: [.threadPool, .ownsWorkerThreads, .workerInitializer, .virtualTime],
        futures: MutantFutureFactory(defect: nil),
        executors: MutantExecutorFactory(defect: nil),
        loops: MutantLoopFactory(defect: nil),
        processPools: MutantProcessPoolFactory(defect: nil)
    )

    /// Every implementation, mutants last.
    public static var all: [Implementation] { implementations + mutants }
}

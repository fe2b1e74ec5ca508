import ConcurrencySpec

/// Makes futures of the implementation under test.
public protocol FutureFactory: Sendable {
    /// Returns a new pending future.
    func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value>
}

/// Makes executors of the implementation under test, and provides the
/// module-level waiting functions it is checked with.
public protocol ExecutorFactory: Sendable {
    /// Returns a new executor.
    /// - Parameters:
    ///   - maxWorkers: The worker limit; `nil` for the implementation's default.
    ///   - initializer: Runs once in each worker before its first job.
    func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)?
    ) throws -> any ConcurrentExecutor

    /// Python's `concurrent.futures.wait`. Default: ``ConcurrencySpec/wait(_:timeout:returnWhen:)``.
    func wait<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>])

    /// Python's `concurrent.futures.as_completed`. Default:
    /// ``ConcurrencySpec/asCompleted(_:timeout:)``.
    func asCompleted<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration?
    ) -> any CompletionIterator<Value>
}

extension ExecutorFactory {
    public func wait<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration?,
        returnWhen: ReturnWhen
    ) -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>]) {
        ConcurrencySpec.wait(futures, timeout: timeout, returnWhen: returnWhen)
    }

    public func asCompleted<Value: Sendable>(
        _ futures: [any ConcurrentFuture<Value>],
        timeout: Duration?
    ) -> any CompletionIterator<Value> {
        ConcurrencySpec.asCompleted(futures, timeout: timeout)
    }
}

/// Makes process pools of the implementation under test, for the PROC
/// clauses.
///
/// The pool's worker program must register the kit's job types,
/// ``Conformance/workerJobs``, next to its own: the PROC clauses submit them.
public protocol ProcessPoolFactory: Sendable {
    /// Returns a new process pool.
    /// - Parameters:
    ///   - maxWorkers: The worker limit; `nil` for the implementation's default.
    ///   - initializer: Runs once in each worker process before its first call.
    ///   - maxTasksPerChild: Replace a worker after this many calls; `nil`
    ///     keeps workers for good.
    func makeProcessPool(
        maxWorkers: Int?,
        initializer: (any PortableJob)?,
        maxTasksPerChild: Int?
    ) throws -> any ConcurrentExecutor
}

/// Makes event loops of the implementation under test.
public protocol LoopFactory: Sendable {
    /// Returns a new, open, idle loop. `virtualTime` asks for a virtual
    /// clock; the kit asks for one only from implementations that declare
    /// ``Capability/virtualTime``.
    func makeLoop(virtualTime: Bool) throws -> any EventLoop
}

/// An implementation under test: a name, a kind, its factories, and what it
/// offers.
///
/// Adopters usually describe their implementation as a type conforming to
/// ``FutureSubject`` and never build this value by hand; the kit uses it to
/// treat the reference, adapters, mutants and adopters' types alike.
public struct Implementation: Sendable, Identifiable, CustomStringConvertible {
    /// What an implementation is, for the report.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The package's reference implementation.
        case reference
        /// Glue that makes another engine (Dispatch, OperationQueue…) conform.
        case adapter
        /// Deliberately broken in one documented way, to prove that the kit
        /// catches it.
        case mutant
        /// An implementation described by someone else.
        case external
    }

    /// The name in reports; unique among the implementations of a run.
    public var name: String
    /// What the implementation is.
    public var kind: Kind
    /// One line about it; for a mutant, the defect.
    public var summary: String
    /// For a mutant, the IDs of the clauses its defect violates.
    public var targets: [String]
    /// Everything it offers: declared capabilities plus those its factories
    /// imply.
    public var capabilities: Set<Capability>
    /// Makes futures, when the implementation has them.
    public var futures: (any FutureFactory)?
    /// Makes executors, when the implementation has them.
    public var executors: (any ExecutorFactory)?
    /// Makes event loops, when the implementation has them.
    public var loops: (any LoopFactory)?
    /// Makes process pools, when the implementation has them.
    public var processPools: (any ProcessPoolFactory)?
    /// For each clause the implementation fails on purpose, why: a real
    /// difference of the engine it adapts, stated in CONFORMANCE.md too.
    public var knownDeviations: [String: String]

    /// Describes an implementation.
    public init(
        name: String,
        kind: Kind,
        summary: String = "",
        targets: [String] = [],
        capabilities: Set<Capability> = [],
        knownDeviations: [String: String] = [:],
        futures: (any FutureFactory)? = nil,
        executors: (any ExecutorFactory)? = nil,
        loops: (any LoopFactory)? = nil,
        processPools: (any ProcessPoolFactory)? = nil
    ) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.targets = targets
        self.futures = futures
        self.executors = executors
        self.loops = loops
        self.processPools = processPools
        self.knownDeviations = knownDeviations
        var capabilities = capabilities
        if futures != nil { capabilities.insert(.futures) }
        if executors != nil { capabilities.insert(.executor) }
        if loops != nil { capabilities.insert(.eventLoop) }
        if processPools != nil { capabilities.insert(.processPool) }
        self.capabilities = capabilities
    }

    /// Describes the implementation that `subject` declares.
    public init(_ subject: any ConformanceSubject.Type) {
        var futures: (any FutureFactory)?
        if let futureSubject = subject as? any FutureSubject.Type {
            futures = SubjectFutureFactory(subject: futureSubject)
        }
        var executors: (any ExecutorFactory)?
        if let executorSubject = subject as? any ExecutorSubject.Type {
            executors = SubjectExecutorFactory(subject: executorSubject)
        }
        var loops: (any LoopFactory)?
        if let loopSubject = subject as? any LoopSubject.Type {
            loops = SubjectLoopFactory(subject: loopSubject)
        }
        var processPools: (any ProcessPoolFactory)?
        if let processSubject = subject as? any ProcessPoolSubject.Type {
            processPools = SubjectProcessPoolFactory(subject: processSubject)
        }
        self.init(
            name: subject.name,
            kind: subject.kind,
            summary: subject.summary,
            capabilities: subject.capabilities,
            knownDeviations: subject.knownDeviations,
            futures: futures,
            executors: executors,
            loops: loops,
            processPools: processPools
        )
    }

    public var id: String { name }
    public var description: String { name }
}

/// A type that describes an implementation to the kit.
///
/// Conform to the subject protocols of the contracts you implement
/// (``FutureSubject``…); every clause of a contract you do not implement is a
/// visible skip.
public protocol ConformanceSubject: Sendable {
    /// The name in reports. Default: the type's name.
    static var name: String { get }
    /// What the implementation is. Default: ``Implementation/Kind/external``.
    static var kind: Implementation.Kind { get }
    /// One line about it. Default: empty.
    static var summary: String { get }
    /// Capabilities beyond those the factories imply. Default: none.
    static var capabilities: Set<Capability> { get }
    /// Clauses failed on purpose, with the reason. Default: none.
    static var knownDeviations: [String: String] { get }
}

extension ConformanceSubject {
    public static var name: String { String(describing: Self.self) }
    public static var kind: Implementation.Kind { .external }
    public static var summary: String { "" }
    public static var capabilities: Set<Capability> { [] }
    public static var knownDeviations: [String: String] { [:] }
}

/// A subject that makes thread-safe futures (``ConcurrencySpec/ConcurrentFuture``).
///
/// ```swift
/// enum MyFutures: FutureSubject {
///     static func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value> {
///         MyFuture<Value>()
///     }
/// }
/// ```
public protocol FutureSubject: ConformanceSubject {
    /// Returns a new pending future.
    static func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value>
}

private struct SubjectFutureFactory: FutureFactory {
    let subject: any FutureSubject.Type

    func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value> {
        subject.makeFuture(of: type)
    }
}

/// A subject that makes executors (``ConcurrencySpec/ConcurrentExecutor``).
///
/// ```swift
/// enum MyPool: ExecutorSubject {
///     static let capabilities: Set<Capability> = [.threadPool, .ownsWorkerThreads, .workerInitializer]
///     static func makeExecutor(maxWorkers: Int?, initializer: (@Sendable () throws -> Void)?) throws -> any ConcurrentExecutor {
///         try MyThreadPool(maxWorkers: maxWorkers, initializer: initializer)
///     }
/// }
/// ```
public protocol ExecutorSubject: ConformanceSubject {
    /// Returns a new executor; `maxWorkers` is `nil` for the default.
    static func makeExecutor(
        maxWorkers: Int?,
        initializer: (@Sendable () throws -> Void)?
    ) throws -> any ConcurrentExecutor
}

private struct SubjectExecutorFactory: ExecutorFactory {
    let subject: any ExecutorSubject.Type

    func makeExecutor(maxWorkers: Int?, initializer: (@Sendable () throws -> Void)?) throws -> any ConcurrentExecutor {
        try subject.makeExecutor(maxWorkers: maxWorkers, initializer: initializer)
    }
}

/// A subject that makes event loops (``ConcurrencySpec/EventLoop``).
///
/// ```swift
/// enum MyLoops: LoopSubject {
///     static let capabilities: Set<Capability> = [.virtualTime]
///     static func makeLoop(virtualTime: Bool) throws -> any EventLoop {
///         MyLoop(clock: virtualTime ? .virtual : .real)
///     }
/// }
/// ```
public protocol LoopSubject: ConformanceSubject {
    /// Returns a new loop; `virtualTime` is only ever `true` when the subject
    /// declares ``Capability/virtualTime``.
    static func makeLoop(virtualTime: Bool) throws -> any EventLoop
}

private struct SubjectLoopFactory: LoopFactory {
    let subject: any LoopSubject.Type

    func makeLoop(virtualTime: Bool) throws -> any EventLoop {
        try subject.makeLoop(virtualTime: virtualTime)
    }
}

/// A subject that makes process pools, for the PROC clauses.
///
/// Its worker program must register ``Conformance/workerJobs``:
///
/// ```swift
/// // the worker program's main.swift
/// ProcessWorker.run(jobs: Conformance.workerJobs + myJobs)
///
/// enum MyProcessPool: ProcessPoolSubject {
///     static func makeProcessPool(maxWorkers: Int?, initializer: (any PortableJob)?, maxTasksPerChild: Int?) throws -> any ConcurrentExecutor {
///         try MyProcessPool(maxWorkers: maxWorkers, initializer: initializer, maxTasksPerChild: maxTasksPerChild)
///     }
/// }
/// ```
public protocol ProcessPoolSubject: ConformanceSubject {
    /// Returns a new process pool; `maxWorkers` is `nil` for the default.
    static func makeProcessPool(
        maxWorkers: Int?,
        initializer: (any PortableJob)?,
        maxTasksPerChild: Int?
    ) throws -> any ConcurrentExecutor
}

private struct SubjectProcessPoolFactory: ProcessPoolFactory {
    let subject: any ProcessPoolSubject.Type

    func makeProcessPool(maxWorkers: Int?, initializer: (any PortableJob)?, maxTasksPerChild: Int?) throws -> any ConcurrentExecutor {
        try subject.makeProcessPool(maxWorkers: maxWorkers, initializer: initializer, maxTasksPerChild: maxTasksPerChild)
    }
}

import ConcurrencySpec

/// Makes futures of the implementation under test.
public protocol FutureFactory: Sendable {
    /// Returns a new pending future.
    func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value>
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

    /// Describes an implementation.
    public init(
        name: String,
        kind: Kind,
        summary: String = "",
        targets: [String] = [],
        capabilities: Set<Capability> = [],
        futures: (any FutureFactory)? = nil
    ) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.targets = targets
        self.futures = futures
        var capabilities = capabilities
        if futures != nil { capabilities.insert(.futures) }
        self.capabilities = capabilities
    }

    /// Describes the implementation that `subject` declares.
    public init(_ subject: any ConformanceSubject.Type) {
        var futures: (any FutureFactory)?
        if let futureSubject = subject as? any FutureSubject.Type {
            futures = SubjectFutureFactory(subject: futureSubject)
        }
        self.init(
            name: subject.name,
            kind: subject.kind,
            summary: subject.summary,
            capabilities: subject.capabilities,
            futures: futures
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
}

extension ConformanceSubject {
    public static var name: String { String(describing: Self.self) }
    public static var kind: Implementation.Kind { .external }
    public static var summary: String { "" }
    public static var capabilities: Set<Capability> { [] }
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

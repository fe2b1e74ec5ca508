@_exported import ConcurrencySpec

/// The kit's entry points.
///
/// ```swift
/// import ConcurrencyConformanceTesting
/// import Testing
///
/// @Test(arguments: Conformance.clauses(for: MyFutures.self))
/// func conforms(_ clause: Clause) async { await clause.check() }
/// ```
public enum Conformance {
    /// Every clause of the catalogue, in ID order.
    public static var catalogue: [ClauseDefinition] { Catalogue.all }

    /// IDs of the starting catalogue that were not adopted as clauses, with
    /// the reason. They stay reserved: an ID never takes another meaning.
    public static let reservedIDs: [String: String] = [
        "EXE-002": "submit accepts any callable: every Swift function value is one, so no check could fail",
        "EXE-020": "the scoped form yields the executor itself, and both pool kinds share one protocol: enforced by the type system",
        "WAIT-007": "an unknown return_when is rejected: ReturnWhen is an enum, so no such value exists",
        "ASC-005": "wait and asCompleted accept futures from different executors: they take any ConcurrentFuture",
        "TLS-001": "a rule about the kit's own thread-local probe, not about an implementation",
        "TLS-006": "a rule the TLS checks follow (never assert which worker runs a job), not one an implementation can break",
        "LOOP-006": "informative (MAY) in the catalogue: either order of a queued callSoon and a zero-delay timer conforms, so no check could fail",
        "LOOP-019": "informative (MAY): the Python < 3.7 idiom; its Swift form (createTask, runUntilComplete, close) is asserted by a seed twin",
    ]

    /// Every clause bound to the implementation `subject` describes, one
    /// value per variant: the arguments of a parameterized test.
    ///
    /// Clauses whose capabilities the subject lacks are included and skip
    /// with their reason, so that what was not checked stays visible.
    /// - Parameter idPrefix: Keep only clauses whose ID starts with it, such
    ///   as `"FUT-"`.
    public static func clauses(for subject: any ConformanceSubject.Type, idPrefix: String = "") -> [Clause] {
        clauses(for: Implementation(subject), idPrefix: idPrefix)
    }

    /// Every clause bound to `implementation`, one value per variant.
    public static func clauses(for implementation: Implementation, idPrefix: String = "") -> [Clause] {
        catalogue
            .filter { $0.id.hasPrefix(idPrefix) }
            .flatMap { definition in
                definition.variants.isEmpty
                    ? [Clause(definition: definition, implementation: implementation)]
                    : definition.variants.map {
                        Clause(definition: definition, implementation: implementation, variant: $0)
                    }
            }
    }

    /// Runs `body` while no clause that measures real time is running, and
    /// keeps such clauses from starting meanwhile: for an adopter's own
    /// timing tests that share a process with the kit.
    public static func withExclusiveTiming<Result: Sendable>(_ body: () async -> Result) async -> Result {
        await TimingGate.shared.withAccess(exclusive: true, body)
    }
}

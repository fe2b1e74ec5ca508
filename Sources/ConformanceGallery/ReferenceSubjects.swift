import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec

/// The reference implementation, described to the kit exactly as an adopter
/// describes theirs: through the public subject protocols, with no private
/// hooks.
public enum ReferenceImplementation: FutureSubject {
    public static let name = "reference"
    public static let kind = Implementation.Kind.reference
    public static let summary = "ConcurrencyReference: the package's own implementation"

    public static func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value> {
        Future<Value>()
    }
}

/// Every implementation the package knows.
public enum Gallery {
    /// The reference implementation.
    public static let reference = Implementation(ReferenceImplementation.self)

    /// Implementations that are not mutants: the columns of the matrix.
    public static let implementations: [Implementation] = [reference]

    /// The mutant gallery: one implementation per defect.
    public static let mutants: [Implementation] = FutureDefect.allCases.map(\.implementation)

    /// The mutant engine without a defect. It passes every clause, which shows
    /// that each mutant is caught because of its defect and nothing else.
    public static let mutantBaseline = Implementation(
        name: "mutant-baseline",
        kind: .external,
        summary: "the mutants' future with no defect switched on",
        futures: MutantFutureFactory(defect: nil)
    )

    /// Every implementation, mutants last.
    public static var all: [Implementation] { implementations + mutants }
}

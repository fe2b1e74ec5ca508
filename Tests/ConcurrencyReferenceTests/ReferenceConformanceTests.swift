import ConcurrencyConformanceTesting
import ConformanceGallery
import Testing

/// The whole catalogue against the reference, through exactly the public path
/// an adopter uses. Strict: the reference must pass SHOULD clauses too.
@Suite("Reference conformance")
struct ReferenceConformanceTests {
    @Test(arguments: Conformance.clauses(for: ReferenceImplementation.self))
    func conforms(_ clause: Clause) async {
        let verdict = await clause.check(strict: true)
        #expect(verdict.outcome == .pass, "\(verdict.message)")
    }
}

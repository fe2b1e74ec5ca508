import ConcurrencyConformanceTesting
import ConformanceGallery
import Testing

/// The adapters are judged like anyone else: every clause passes, skips for a
/// stated reason, or fails only where the adapter declares a real difference
/// of its engine (and CONFORMANCE.md explains it).
@Suite("Adapters")
struct AdapterTests {
    static let cases: [Clause] = Gallery.adapters.flatMap { Conformance.clauses(for: $0) }

    @Test("no false alarm on an adapter", arguments: cases)
    func onlyDeclaredDeviationsFail(_ clause: Clause) async {
        let verdict = await clause.run()
        if verdict.outcome.isFailure {
            #expect(
                clause.implementation.knownDeviations[clause.definition.id] != nil,
                "\(clause.implementation.name) \(clause.id) \(verdict.outcome.rawValue) without a declared reason: \(verdict.message)"
            )
        }
    }

    @Test func declaredDeviationsAreDocumented() throws {
        let document = CatalogueTests.conformanceDocument
        for adapter in Gallery.adapters {
            #expect(adapter.kind == .adapter)
            for (clause, reason) in adapter.knownDeviations {
                #expect(Conformance.catalogue.contains { $0.id == clause }, "\(adapter.name) declares a deviation from unknown clause \(clause)")
                #expect(document.contains(reason), "CONFORMANCE.md does not state \(adapter.name)'s deviation from \(clause)")
            }
        }
    }
}

import ConcurrencyConformanceTesting
import ConformanceGallery
import Testing

/// The whole catalogue against the reference, through exactly the public path
/// an adopter uses. Strict: the reference must pass SHOULD clauses too.
@Suite("Reference conformance")
struct ReferenceConformanceTests {
    /// The thread pool, futures and loop: every clause but those that need
    /// a process pool, which belong to the other column.
    @Test(arguments: Conformance.clauses(for: ReferenceImplementation.self).filter { !$0.definition.requires.contains(.processPool) })
    func conforms(_ clause: Clause) async {
        let verdict = await clause.check(strict: true)
        #expect(verdict.outcome == .pass, "\(verdict.message)")
    }

    /// The process pool: every PROC clause, and every executor clause that
    /// can reach another process. The rest must skip with a reason.
    @Test(arguments: Conformance.clauses(for: ReferenceProcessPool.self).filter { $0.skipReason == nil })
    func processPoolConforms(_ clause: Clause) async {
        let verdict = await clause.check(strict: true)
        #expect(verdict.outcome == .pass, "\(verdict.message)")
    }

    @Test func processPoolSkipsOnlyWhatCannotApply() {
        let clauses = Conformance.clauses(for: ReferenceProcessPool.self)
        #expect(clauses.filter { $0.definition.requires.contains(.processPool) }.allSatisfy { $0.skipReason == nil })
        for clause in clauses {
            if let reason = clause.skipReason { #expect(!reason.isEmpty, "\(clause.id)") }
        }
    }
}

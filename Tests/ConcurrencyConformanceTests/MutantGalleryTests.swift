import ConcurrencyConformanceTesting
import ConformanceGallery
import Testing

/// The kit tests itself: every mutant is caught by the clauses that name its
/// defect, and the defect-free engine the mutants share passes everything.
@Suite("Mutant gallery")
struct MutantGalleryTests {
    @Test("each mutant is caught by every clause it targets", arguments: Gallery.mutants)
    func caughtByTargets(_ mutant: Implementation) async {
        #expect(!mutant.targets.isEmpty, "\(mutant.name) names no target clause")
        // Runs task steps on many threads on purpose; ThreadSanitizer misreads
        // the runtime's continuation hand-off it provokes (swiftlang/swift
        // #57803). Judged in every run that is not sanitized.
        if ThreadSanitizer.isActive, Gallery.mutantsThatRaceByDesign.contains(mutant.name) { return }
        for target in mutant.targets {
            let clauses = Conformance.clauses(for: mutant, idPrefix: target)
            #expect(!clauses.isEmpty, "\(mutant.name) targets \(target), which is not in the catalogue")
            var outcomes: [Verdict.Outcome] = []
            for clause in clauses {
                outcomes.append(await clause.run().outcome)
            }
            #expect(outcomes.contains { $0.isFailure }, "\(target) passed \(mutant.name): \(mutant.summary)")
            #expect(!outcomes.contains(.skip), "\(target) skipped \(mutant.name)")
        }
    }

    @Test("the hanging mutant is reported as a timeout, and the run goes on")
    func hangingMutantTimesOut() async {
        let hanging = FutureDefect.resultBlocksForever.implementation
        let clause = Conformance.clauses(for: hanging, idPrefix: "FUT-003")[0]
        let verdict = await clause.run()
        #expect(verdict.outcome == .timeout)
        #expect(verdict.message.contains("watchdog"))
        // The watchdog gave up at its deadline rather than much later.
        let deadline = Timing.current.units(clause.definition.budgetUnits)
        #expect(Duration.seconds(verdict.seconds) >= deadline * 0.99)
        #expect(Duration.seconds(verdict.seconds) < deadline * 3)
    }

    @Test("every implementation of the gallery has a name of its own")
    func namesAreUnique() {
        let names = Gallery.all.map(\.name) + [Gallery.mutantBaseline.name]
        #expect(Set(names).count == names.count, "repeated: \(Dictionary(grouping: names) { $0 }.filter { $1.count > 1 }.keys.sorted())")
    }

    @Test("every FUT clause has a mutant that targets it")
    func everyClauseKillsAMutant() {
        let targeted = Set(Gallery.mutants.flatMap(\.targets))
        let untargeted = Conformance.catalogue.map(\.id).filter { !targeted.contains($0) }
        #expect(untargeted.isEmpty, "clauses no mutant targets: \(untargeted)")
    }

    @Test("the mutants' engine without a defect passes every clause",
          arguments: Conformance.clauses(for: Gallery.mutantBaseline))
    func baselinePasses(_ clause: Clause) async {
        let verdict = await clause.run()
        #expect(verdict.outcome == .pass, "\(clause.id): \(verdict.message)")
    }
}

extension Implementation: CustomTestStringConvertible {
    public var testDescription: String { name }
}

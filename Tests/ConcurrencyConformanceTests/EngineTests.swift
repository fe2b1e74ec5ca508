import ConcurrencyConformanceTesting
import ConcurrencyReference
import ConformanceGallery
import Foundation
import Testing

/// The kit's engine on hand-made clauses: verdicts, recorder, watchdog, skips,
/// variants, timing.
@Suite("Kit engine")
struct EngineTests {
    static func definition(
        id: String = "TEST-001",
        requires: Set<Capability> = [],
        timing: TimingSensitivity = .orderOnly,
        budgetUnits: Double = 40,
        variants: [Variant] = [],
        _ check: Check
    ) -> ClauseDefinition {
        ClauseDefinition(
            id: id, contract: .future, level: .must, statement: "A test rule.", source: "tests",
            method: "tests", hint: "tests", requires: requires, timing: timing,
            budgetUnits: budgetUnits, variants: variants, check: check
        )
    }

    static let bare = Implementation(name: "bare", kind: .external)

    @Test func passingCheckPasses() async {
        let clause = Clause(definition: Self.definition(.blocking { ctx in ctx.expect(true, "never") }), implementation: Self.bare)
        let verdict = await clause.run()
        #expect(verdict.outcome == .pass)
        #expect(verdict.failures.isEmpty)
    }

    @Test func failureCarriesMessageAndLocation() async {
        let clause = Clause(definition: Self.definition(.blocking { ctx in ctx.fail("broken on purpose") }), implementation: Self.bare)
        let verdict = await clause.run()
        #expect(verdict.outcome == .fail)
        #expect(verdict.failures.first?.message == "broken on purpose")
        #expect(verdict.failures.first?.location.fileID.hasSuffix("EngineTests.swift") == true)
    }

    @Test func failuresFromOtherThreadsAndCallbacksAreAttributed() async {
        let clause = Clause(definition: Self.definition(.blocking { ctx in
            ctx.spawn("helper") { ctx.fail("from a spawned thread") }
            let future = Future<Int>()
            future.addDoneCallback { _ in ctx.fail("from a callback") }
            ctx.spawn("completer") {
                Thread.sleep(forTimeInterval: 0.01)
                try future.setResult(1)
            }
            // The check's own thread returns at once; the verdict must wait
            // for the spawned threads anyway.
        }), implementation: Self.bare)
        let verdict = await clause.run()
        #expect(verdict.outcome == .fail)
        #expect(Set(verdict.failures.map(\.message)) == ["from a spawned thread", "from a callback"])
    }

    @Test func thrownErrorIsAFailure() async {
        struct Oops: Error {}
        let clause = Clause(definition: Self.definition(.blocking { _ in throw Oops() }), implementation: Self.bare)
        let verdict = await clause.run()
        #expect(verdict.outcome == .fail)
        #expect(verdict.message.contains("Oops"))
        let spawned = Clause(definition: Self.definition(.blocking { ctx in ctx.spawn("thrower") { throw Oops() } }), implementation: Self.bare)
        #expect(await spawned.run().outcome == .fail)
        let async = Clause(definition: Self.definition(.async { _ in throw Oops() }), implementation: Self.bare)
        #expect(await async.run().outcome == .fail)
    }

    @Test func missingCapabilityIsAVisibleSkip() async {
        let clause = Clause(definition: Self.definition(requires: [.futures], .blocking { ctx in ctx.fail("must not run") }), implementation: Self.bare)
        let verdict = await clause.run()
        #expect(verdict.outcome == .skip)
        #expect(verdict.message.contains("futures"))
        #expect(clause.skipReason != nil)
    }

    @Test func watchdogReportsAHangAndMovesOn() async {
        let clause = Clause(definition: Self.definition(budgetUnits: 2, .blocking { ctx in
            ctx.fail("recorded before hanging")
            Latch(count: 1).wait(timeout: nil)
        }), implementation: Self.bare)
        let verdict = await clause.run()
        #expect(verdict.outcome == .timeout)
        #expect(verdict.failures.map(\.message) == ["recorded before hanging"])
        // Time under the watchdog, not time queued behind other checks.
        #expect(Duration.seconds(verdict.seconds) >= Timing.current.units(2) * 0.99)
        #expect(verdict.seconds < 5)
    }

    @Test func watchdogCoversAsyncChecksAndSpawnedThreads() async {
        let async = Clause(definition: Self.definition(budgetUnits: 2, .async { _ in
            try await Task.sleep(for: .seconds(3600))
        }), implementation: Self.bare)
        #expect(await async.run().outcome == .timeout)
        let spawned = Clause(definition: Self.definition(budgetUnits: 2, .blocking { ctx in
            ctx.spawn("wedged") { Latch(count: 1).wait(timeout: nil) }
        }), implementation: Self.bare)
        #expect(await spawned.run().outcome == .timeout)
    }

    @Test func variantsBecomeSeparateTestCases() {
        let implementation = Gallery.reference
        let fut004 = Conformance.clauses(for: implementation, idPrefix: "FUT-004")
        #expect(fut004.map(\.id) == [
            "FUT-004 [already done]",
            "FUT-004 [done right away by another thread]",
            "FUT-004 [done later by another thread]",
        ])
        #expect(Conformance.clauses(for: implementation, idPrefix: "FUT-001").map(\.id) == ["FUT-001"])
        #expect(fut004[0].description.contains(fut004[0].definition.statement))
    }

    @Test func subjectTypesDescribeImplementations() {
        let implementation = Implementation(ReferenceImplementation.self)
        #expect(implementation.name == "reference")
        #expect(implementation.kind == .reference)
        #expect(implementation.capabilities.contains(.futures))
        #expect(Conformance.clauses(for: ReferenceImplementation.self).count == Conformance.clauses(for: implementation).count)
    }

    @Test func timingScaleComesFromOneVariable() throws {
        #expect(try Timing(environmentValue: nil).scale == 1)
        #expect(try Timing(environmentValue: "").scale == 1)
        #expect(try Timing(environmentValue: "3").unit == .milliseconds(150))
        #expect(try Timing(environmentValue: "0.5").units(4) == .milliseconds(100))
        for bad in ["0", "-1", "fast", "inf", "nan"] {
            #expect(throws: TimingConfigurationError.self) { try Timing(environmentValue: bad) }
        }
        let error = try #require(throws: TimingConfigurationError.self) { try Timing(environmentValue: "fast") }
        #expect(error.description.contains("CONFORMANCE_TIME_SCALE"))
    }

    @Test func realTimeChecksNeverOverlapOtherChecks() async {
        let running = Locked(0)
        let overlaps = Locked(0)
        func probe(_ timing: TimingSensitivity) -> ClauseDefinition {
            Self.definition(timing: timing, .blocking { ctx in
                let others = running.withLock { count -> Int in
                    count += 1
                    return count - 1
                }
                if timing.runsAlone && others > 0 { overlaps.withLock { $0 += 1 } }
                ctx.sleep(units: 0.2)
                if timing.runsAlone && running.value > 1 { overlaps.withLock { $0 += 1 } }
                running.withLock { $0 -= 1 }
            })
        }
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<12 {
                let clause = Clause(definition: probe(index.isMultiple(of: 3) ? .realTime : .orderOnly), implementation: Self.bare)
                group.addTask { _ = await clause.run() }
            }
        }
        #expect(overlaps.value == 0)
    }
}

@Suite("Report")
struct ReportTests {
    @Test func jsonHasTheStableKeys() async throws {
        let report = await MatrixRunner.run(
            implementations: [Gallery.reference, FutureDefect.callbacksLIFO.implementation],
            definitions: Conformance.catalogue.filter { $0.id == "FUT-011" || $0.id == "FUT-001" }
        )
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(["implementations", "clauses", "results"]).isSubset(of: object.keys))
        let implementation = try #require((object["implementations"] as? [[String: Any]])?.first)
        #expect(Set(["name", "kind", "targets"]).isSubset(of: implementation.keys))
        let clause = try #require((object["clauses"] as? [[String: Any]])?.first)
        #expect(Set(["id", "contract", "level", "statement"]).isSubset(of: clause.keys))
        let result = try #require((object["results"] as? [[String: Any]])?.first)
        #expect(Set(["implementation", "clause", "outcome", "seconds", "message"]).isSubset(of: result.keys))

        #expect(report.result(implementation: "reference", clause: "FUT-011")?.outcome == .pass)
        #expect(report.result(implementation: "mutant:callbacksLIFO", clause: "FUT-011")?.outcome == .fail)
        #expect(report.implementations.last?.caught == true)
        // A failing mutant never makes the run fail; only real implementations do.
        #expect(report.nonConformingImplementations.isEmpty)
        let markdown = report.markdown()
        #expect(markdown.contains("| FUT-011 | MUST | pass |"))
        #expect(markdown.contains("## Mutant gallery"))
        #expect(markdown.contains("1 of 1 mutants caught"))
    }

    @Test func aMustFailureOfARealImplementationFailsTheRun() async {
        let impostor = Implementation(
            name: "impostor", kind: .external,
            futures: FutureDefect.cancelNotIdempotent.implementation.futures
        )
        let report = await MatrixRunner.run(
            implementations: [impostor],
            definitions: Conformance.catalogue.filter { $0.id == "FUT-006" }
        )
        #expect(report.nonConformingImplementations == ["impostor"])
        #expect(report.markdown().contains("FAILS a MUST clause"))
    }

    @Test func aDocumentedDeviationIsShownButDoesNotFailTheRun() async {
        let adapter = Implementation(
            name: "adapter", kind: .adapter,
            knownDeviations: ["FUT-006": "this engine's cancel() follows asyncio"],
            futures: FutureDefect.cancelNotIdempotent.implementation.futures
        )
        let report = await MatrixRunner.run(
            implementations: [adapter],
            definitions: Conformance.catalogue.filter { $0.id == "FUT-006" }
        )
        #expect(report.results.first?.outcome == .fail)
        #expect(report.results.first?.knownDeviation == "this engine's cancel() follows asyncio")
        #expect(report.nonConformingImplementations.isEmpty)
        #expect(report.markdown().contains("| FUT-006 | MUST | FAIL† |"))
    }
}

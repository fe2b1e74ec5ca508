/// Runs every clause against every implementation and builds the report.
public enum MatrixRunner {
    /// Which clauses a mutant runs against.
    public enum MutantScope: Sendable {
        /// Only the clauses the mutant targets: proves each is caught, fast.
        case targets
        /// Every clause: also shows what else catches it (slow).
        case allClauses
    }

    /// Runs `definitions` (every variant) against `implementations`.
    ///
    /// Order-only checks run up to `parallelism` at a time; real-time checks
    /// run alone (the kit's timing gate sees to it). Mutants run against
    /// their target clauses unless `mutantScope` asks for every clause.
    public static func run(
        implementations: [Implementation],
        definitions: [ClauseDefinition] = Conformance.catalogue,
        timing: Timing = .current,
        parallelism: Int = 8,
        mutantScope: MutantScope = .targets
    ) async -> ConformanceReport {
        func applies(_ definition: ClauseDefinition, to implementation: Implementation) -> Bool {
            implementation.kind != .mutant || mutantScope == .allClauses || implementation.targets.contains(definition.id)
        }
        let jobs = implementations.flatMap { implementation in
            definitions.filter { applies($0, to: implementation) }.flatMap { definition in
                (definition.variants.isEmpty ? [nil] : definition.variants.map(Optional.some)).map {
                    Clause(definition: definition, implementation: implementation, variant: $0)
                }
            }
        }
        var verdicts = [Verdict?](repeating: nil, count: jobs.count)
        await withTaskGroup(of: (Int, Verdict).self) { group in
            var next = 0
            func startNext() {
                guard next < jobs.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await jobs[index].run(timing: timing)) }
            }
            for _ in 0..<max(parallelism, 1) { startNext() }
            while let (index, verdict) = await group.next() {
                verdicts[index] = verdict
                startNext()
            }
        }

        var results: [ConformanceReport.ResultEntry] = []
        var index = 0
        for implementation in implementations {
            for definition in definitions where applies(definition, to: implementation) {
                let count = max(definition.variants.count, 1)
                let cell = zip(jobs[index..<index + count], verdicts[index..<index + count]).map { ($0, $1!) }
                index += count
                var result = aggregate(cell, implementation: implementation.name, clause: definition.id)
                if result.outcome.isFailure { result.knownDeviation = implementation.knownDeviations[definition.id] }
                results.append(result)
            }
        }

        let entries = implementations.map { implementation in
            var caught: Bool?
            if implementation.kind == .mutant {
                let ran = implementation.targets.compactMap { target in
                    results.first { $0.implementation == implementation.name && $0.clause == target }
                }
                caught = !ran.isEmpty && ran.allSatisfy { $0.outcome.isFailure }
            }
            return ConformanceReport.ImplementationEntry(
                name: implementation.name,
                kind: implementation.kind,
                targets: implementation.targets,
                summary: implementation.summary,
                caught: caught,
                knownDeviations: implementation.knownDeviations
            )
        }
        let clauses = definitions.map {
            ConformanceReport.ClauseEntry(
                id: $0.id, contract: $0.contract, level: $0.level, statement: $0.statement,
                source: $0.source, hint: $0.hint, method: $0.method, timingRule: $0.timingRule,
                requires: $0.requires.map(\.rawValue).sorted(), excludes: $0.excludes.map(\.rawValue).sorted(),
                timing: $0.timing, variants: $0.variants.map(\.name)
            )
        }
        return ConformanceReport(implementations: entries, clauses: clauses, results: results, timeScale: timing.scale)
    }

    /// The worst outcome over a clause's variants: timeout, then fail, then
    /// pass; skip only when every variant skipped.
    private static func aggregate(
        _ cell: [(Clause, Verdict)],
        implementation: String,
        clause: String
    ) -> ConformanceReport.ResultEntry {
        let outcomes = cell.map(\.1.outcome)
        let outcome: Verdict.Outcome =
            outcomes.contains(.timeout) ? .timeout
            : outcomes.contains(.fail) ? .fail
            : outcomes.allSatisfy { $0 == .skip } ? .skip
            : .pass
        var messages = cell.compactMap { clause, verdict -> String? in
            guard verdict.outcome != .pass, !verdict.message.isEmpty else { return nil }
            return clause.variant.map { "[\($0.name)] \(verdict.message)" } ?? verdict.message
        }
        // Every variant skips for the same reason; say it once.
        if outcome == .skip { messages = Array(messages.prefix(1)) }
        return ConformanceReport.ResultEntry(
            implementation: implementation,
            clause: clause,
            outcome: outcome,
            seconds: cell.map(\.1.seconds).reduce(0, +),
            message: messages.joined(separator: " | ")
        )
    }
}

extension ConformanceReport {
    /// The matrix as Markdown: one row per clause, one column per
    /// implementation that is not a mutant, then a summary line per
    /// implementation, the details of every non-pass, and, when the report
    /// holds mutants, the mutant gallery.
    public func markdown() -> String {
        let columns = implementations.filter { $0.kind != .mutant }
        let mutants = implementations.filter { $0.kind == .mutant }
        var lines: [String] = []
        lines.append("# Conformance matrix")
        lines.append("")
        lines.append("Time scale \(timeScale) (set CONFORMANCE_TIME_SCALE on slow machines).")
        lines.append("")
        lines.append("| Clause | Level | " + columns.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: " | ") + " |")
        lines.append("|---|---|" + String(repeating: "---|", count: columns.count))
        for clause in clauses {
            let cells = columns.map { column -> String in
                let cell = result(implementation: column.name, clause: clause.id)
                return cellText(cell?.outcome) + (cell?.knownDeviation != nil ? "†" : "")
            }
            lines.append("| \(clause.id) | \(clause.level.rawValue) | " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        for implementation in columns {
            lines.append(summaryLine(for: implementation.name))
        }
        if results.contains(where: { $0.knownDeviation != nil }) {
            lines.append("")
            lines.append("† a known deviation: a real difference of the engine the adapter wraps, explained in CONFORMANCE.md; it does not fail the run.")
        }

        let problems = results.filter { result in
            result.outcome.isFailure && columns.contains { $0.name == result.implementation }
        }
        let skips = results.filter { result in
            result.outcome == .skip && columns.contains { $0.name == result.implementation }
        }
        if !problems.isEmpty || !skips.isEmpty {
            lines.append("")
            lines.append("## Details")
            lines.append("")
            for problem in problems {
                let known = problem.knownDeviation.map { " Known deviation: \($0)" } ?? ""
                lines.append("- **\(problem.implementation)** \(problem.clause) \(problem.outcome.rawValue): \(problem.message)\(known)")
            }
            for implementation in columns {
                // One line per reason: a missing capability skips a whole group.
                var reasons: [String: [String]] = [:]
                for skip in skips where skip.implementation == implementation.name {
                    // Drop the "[variant] " prefix, so variants of one clause share a reason.
                    let reason = skip.message.hasPrefix("[")
                        ? String(skip.message.drop { $0 != "]" }.dropFirst(2))
                        : skip.message
                    reasons[reason, default: []].append(skip.clause)
                }
                for (reason, clauses) in reasons.sorted(by: { $0.key < $1.key }) {
                    let named = clauses.count <= 6 ? clauses.joined(separator: ", ") : "\(clauses.first!) … \(clauses.last!)"
                    lines.append("- **\(implementation.name)** skips \(clauses.count) clause(s) (\(named)): \(reason)")
                }
            }
        }

        if !mutants.isEmpty {
            lines.append("")
            lines.append("## Mutant gallery")
            lines.append("")
            lines.append("| Mutant | Defect | Targets | Verdicts on targets | Caught | Also caught by |")
            lines.append("|---|---|---|---|---|---|")
            for mutant in mutants {
                let onTargets = mutant.targets.map { target in
                    "\(target) \(cellText(result(implementation: mutant.name, clause: target)?.outcome))"
                }
                let others = results.filter {
                    $0.implementation == mutant.name && $0.outcome.isFailure && !mutant.targets.contains($0.clause)
                }.map(\.clause)
                let caught = mutant.caught == true ? "yes" : "**NO**"
                lines.append("| \(mutant.name) | \(mutant.summary) | \(mutant.targets.joined(separator: ", ")) | \(onTargets.joined(separator: ", ")) | \(caught) | \(others.joined(separator: ", ")) |")
            }
            let caughtCount = mutants.filter { $0.caught == true }.count
            lines.append("")
            lines.append("\(caughtCount) of \(mutants.count) mutants caught by their target clauses.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `reference: 19 pass, 0 fail, 0 skip, 0 timeout (19 clauses) — conforms to every MUST clause`.
    public func summaryLine(for implementation: String) -> String {
        let mine = results.filter { $0.implementation == implementation }
        func count(_ outcome: Verdict.Outcome) -> Int { mine.filter { $0.outcome == outcome }.count }
        let verdict = nonConformingImplementations.contains(implementation)
            ? "FAILS a MUST clause"
            : "conforms to every MUST clause that applies"
        return "\(implementation): \(count(.pass)) pass, \(count(.fail)) fail, \(count(.skip)) skip, \(count(.timeout)) timeout (\(mine.count) clauses) — \(verdict)"
    }

    private func cellText(_ outcome: Verdict.Outcome?) -> String {
        switch outcome {
        case .pass?: "pass"
        case .fail?: "FAIL"
        case .skip?: "skip"
        case .timeout?: "timeout"
        case nil: "–"
        }
    }
}

@_exported import ConcurrencyConformance
import Testing

extension Clause: CustomTestStringConvertible {
    /// How Swift Testing names the test case: the ID, the variant, the rule.
    public var testDescription: String { description }
}

extension Clause {
    /// Runs the clause and turns its verdict into Swift Testing issues.
    ///
    /// A failure or timeout of a MUST clause is an error; of a SHOULD or MAY
    /// clause, a warning unless `strict` is set. Each issue carries the
    /// clause ID, the message, the place in the kit that recorded it, and the
    /// clause's hint, and points at the caller's line. A skip is recorded as
    /// nothing but is visible in the verdict the method returns.
    ///
    /// - Parameters:
    ///   - strict: Treat SHOULD and MAY failures as errors.
    ///   - timing: The time configuration; by default from the environment.
    /// - Returns: The verdict, for callers that want to inspect it.
    @discardableResult
    public func check(
        strict: Bool = false,
        timing: Timing = .current,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Verdict {
        let verdict = await run(timing: timing)
        guard verdict.outcome.isFailure else { return verdict }
        let severity: Issue.Severity = (definition.level == .must || strict) ? .error : .warning
        let header = "\(id) (\(definition.level.rawValue)) \(verdict.outcome.rawValue) on \(implementation.name)"
        var lines = [header]
        if let note = verdict.note { lines.append(note) }
        lines += verdict.failures.map { "\($0.message) [\($0.location)]" }
        lines.append("Hint: \(definition.hint)")
        Issue.record(Comment(rawValue: lines.joined(separator: "\n")), severity: severity, sourceLocation: sourceLocation)
        return verdict
    }
}

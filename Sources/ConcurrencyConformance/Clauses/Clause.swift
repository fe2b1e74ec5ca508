/// A clause bound to one implementation and one variant: a single test case.
///
/// Pass it to a parameterized Swift Testing test through the
/// `ConcurrencyConformanceTesting` bridge, or run it directly with
/// ``run(timing:)``.
public struct Clause: Sendable, Identifiable, CustomStringConvertible {
    /// The catalogue entry.
    public let definition: ClauseDefinition
    /// The implementation under test.
    public let implementation: Implementation
    /// The variant, when the clause has several.
    public let variant: Variant?

    /// Binds a definition.
    public init(definition: ClauseDefinition, implementation: Implementation, variant: Variant? = nil) {
        self.definition = definition
        self.implementation = implementation
        self.variant = variant
    }

    /// The clause ID followed by the variant, such as `FUT-004 [already done]`.
    public var id: String {
        variant.map { "\(definition.id) [\($0.name)]" } ?? definition.id
    }

    public var description: String { "\(id) \(definition.statement)" }

    /// Why the clause cannot run against this implementation, or `nil`.
    public var skipReason: String? {
        let missing = definition.requires.subtracting(implementation.capabilities)
        if !missing.isEmpty {
            let names = missing.map(\.rawValue).sorted().joined(separator: ", ")
            return "\(implementation.name) lacks the capability \(names)"
        }
        let excluded = definition.excludes.intersection(implementation.capabilities)
        guard !excluded.isEmpty else { return nil }
        let names = excluded.map(\.rawValue).sorted().joined(separator: ", ")
        return "does not apply to \(implementation.name), which has \(names)"
            + (definition.exclusionReason.map { ": \($0)" } ?? "")
    }

    /// Runs the check under the watchdog and returns the verdict.
    ///
    /// - Parameter timing: The time unit and scale; by default read from the
    ///   environment (see ``Timing/current``).
    public func run(timing: Timing = .current) async -> Verdict {
        await ClauseRunner.run(self, timing: timing)
    }
}

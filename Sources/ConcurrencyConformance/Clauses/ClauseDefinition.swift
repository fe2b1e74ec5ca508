/// What a check does when it runs.
public enum Check: Sendable {
    /// A check that may block its thread: it runs on a thread the kit owns,
    /// never on Swift's cooperative pool, so that a wedged implementation
    /// cannot starve other clauses and the watchdog can abandon it.
    case blocking(@Sendable (CheckContext) throws -> Void)
    /// A check written with `async`/`await`; it must not block.
    case async(@Sendable (CheckContext) async throws -> Void)
}

/// Whether a check needs the machine to itself.
public enum TimingSensitivity: String, Sendable, Codable {
    /// Asserts on order only; may run alongside other checks.
    case orderOnly
    /// Asserts on elapsed real time; the kit runs it alone so that other
    /// checks cannot steal the cores it measures.
    case realTime
    /// Measures no time but races many threads for a while; the kit runs it
    /// alone so that its watchdog budget holds on a loaded machine.
    case exclusive

    /// Whether the kit runs the check alone.
    public var runsAlone: Bool { self != .orderOnly }
}

/// One entry of the catalogue: a numbered, stable rule and the check of it.
///
/// A definition is not bound to an implementation; ``Conformance/clauses(for:)``
/// binds it, once per ``Variant``, into runnable ``Clause`` values.
public struct ClauseDefinition: Sendable, Identifiable, CustomStringConvertible {
    /// The stable ID, such as `FUT-011`. Never reused for another meaning.
    public let id: String
    /// The contract the clause belongs to.
    public let contract: Contract
    /// How binding the clause is.
    public let level: Level
    /// The rule, in one sentence. CONFORMANCE.md states it verbatim.
    public let statement: String
    /// Where the rule comes from: a section of the seed notes, the Python
    /// documentation, or CPython's sources.
    public let source: String
    /// What the check does, for CONFORMANCE.md.
    public let method: String
    /// The timing assertion, when the check makes one.
    public let timingRule: String?
    /// Where to look when the check fails.
    public let hint: String
    /// What an implementation must offer for the clause to apply; a clause
    /// whose capabilities are missing is a visible skip.
    public let requires: Set<Capability>
    /// Capabilities under which the clause cannot apply, such as
    /// ``Capability/processIsolation`` for a check that shares memory with
    /// its jobs; such an implementation gets a visible skip.
    public let excludes: Set<Capability>
    /// Why the excluded capabilities rule the clause out, for the skip.
    public let exclusionReason: String?
    /// Whether the check measures real time.
    public let timing: TimingSensitivity
    /// The watchdog's deadline, in time units: a check still running then is
    /// reported as a timeout and abandoned.
    public let budgetUnits: Double
    /// The ways the check runs; empty for a single run.
    public let variants: [Variant]
    /// Where the clause is defined.
    public let location: CheckLocation
    /// The check.
    public let check: Check

    /// Defines a clause.
    public init(
        id: String,
        contract: Contract,
        level: Level,
        statement: String,
        source: String,
        method: String,
        timingRule: String? = nil,
        hint: String,
        requires: Set<Capability>,
        excludes: Set<Capability> = [],
        exclusionReason: String? = nil,
        timing: TimingSensitivity = .orderOnly,
        budgetUnits: Double = 40,
        variants: [Variant] = [],
        fileID: String = #fileID,
        line: Int = #line,
        check: Check
    ) {
        self.id = id
        self.contract = contract
        self.level = level
        self.statement = statement
        self.source = source
        self.method = method
        self.timingRule = timingRule
        self.hint = hint
        self.requires = requires
        self.excludes = excludes
        self.exclusionReason = exclusionReason
        self.timing = timing
        self.budgetUnits = budgetUnits
        self.variants = variants
        self.location = CheckLocation(fileID: fileID, line: line)
        self.check = check
    }

    public var description: String { "\(id) (\(level.rawValue)): \(statement)" }
}

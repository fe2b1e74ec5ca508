/// The result of running clauses against implementations: what the
/// `conformance` command prints as JSON.
///
/// The keys `implementations`, `clauses` and `results`, and the keys of their
/// entries listed in the first issue, are a stable interface that adopters'
/// CI parses: keys may be added, never renamed or removed.
public struct ConformanceReport: Codable, Sendable, Hashable {
    /// One implementation that was run.
    public struct ImplementationEntry: Codable, Sendable, Hashable {
        /// Its name.
        public var name: String
        /// `reference`, `adapter`, `mutant` or `external`.
        public var kind: Implementation.Kind
        /// For a mutant, the clauses its defect violates.
        public var targets: [String]
        /// One line about it.
        public var summary: String
        /// For a mutant: whether every target clause that ran caught it.
        public var caught: Bool?
        /// Clauses the implementation declares it fails, with the reason.
        public var knownDeviations: [String: String]
    }

    /// One clause of the catalogue that was run.
    public struct ClauseEntry: Codable, Sendable, Hashable {
        public var id: String
        public var contract: Contract
        public var level: Level
        public var statement: String
        public var source: String
        public var hint: String
        /// What the check does.
        public var method: String
        /// The timing assertion, when the check makes one.
        public var timingRule: String?
        /// The capabilities the clause needs.
        public var requires: [String]
        /// Capabilities under which the clause does not apply.
        public var excludes: [String] = []
        /// `orderOnly`, `realTime` (measures time, runs alone) or `exclusive`
        /// (measures no time but runs alone).
        public var timing: TimingSensitivity
        /// The variants the check ran in; empty for a single run.
        public var variants: [String]
    }

    /// One implementation × clause cell: the worst outcome over the variants.
    public struct ResultEntry: Codable, Sendable, Hashable {
        public var implementation: String
        public var clause: String
        public var outcome: Verdict.Outcome
        /// Seconds spent, summed over the variants.
        public var seconds: Double
        /// Empty on a pass; otherwise what went wrong, variant by variant.
        public var message: String
        /// For a failure the implementation declares as a real difference of
        /// the engine it adapts: the reason (also in CONFORMANCE.md).
        public var knownDeviation: String?
    }

    public var implementations: [ImplementationEntry]
    public var clauses: [ClauseEntry]
    public var results: [ResultEntry]
    /// The time scale the run used.
    public var timeScale: Double

    /// Creates a report.
    public init(
        implementations: [ImplementationEntry],
        clauses: [ClauseEntry],
        results: [ResultEntry],
        timeScale: Double
    ) {
        self.implementations = implementations
        self.clauses = clauses
        self.results = results
        self.timeScale = timeScale
    }

    /// The result of `clause` on `implementation`, if it ran.
    public func result(implementation: String, clause: String) -> ResultEntry? {
        results.first { $0.implementation == implementation && $0.clause == clause }
    }

    /// The implementations, not mutants, that failed or timed out on a MUST
    /// clause: a non-empty list makes the command exit non-zero.
    public var nonConformingImplementations: [String] {
        let mustClauses = Set(clauses.filter { $0.level == .must }.map(\.id))
        let judged = Set(implementations.filter { $0.kind != .mutant }.map(\.name))
        let failing = results.filter {
            judged.contains($0.implementation) && mustClauses.contains($0.clause) && $0.outcome.isFailure
                && $0.knownDeviation == nil
        }
        return Array(Set(failing.map(\.implementation))).sorted()
    }
}

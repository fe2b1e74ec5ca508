/// The outcome of running one clause against one implementation.
public struct Verdict: Sendable, Hashable {
    /// What happened.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// Every expectation held.
        case pass
        /// At least one expectation failed.
        case fail
        /// The clause does not apply: a capability is missing.
        case skip
        /// The check did not finish before the watchdog's deadline.
        case timeout

        /// Whether the outcome counts against the implementation.
        public var isFailure: Bool { self == .fail || self == .timeout }
    }

    /// What happened.
    public var outcome: Outcome
    /// Every failure recorded, from any thread, in the order recorded.
    public var failures: [Failure]
    /// Why the clause was skipped or timed out.
    public var note: String?
    /// How long the check ran.
    public var seconds: Double

    /// Creates a verdict.
    public init(outcome: Outcome, failures: [Failure] = [], note: String? = nil, seconds: Double = 0) {
        self.outcome = outcome
        self.failures = failures
        self.note = note
        self.seconds = seconds
    }

    /// One line for reports: the note, then every failure with its location.
    public var message: String {
        var parts: [String] = []
        if let note { parts.append(note) }
        parts += failures.map { "\($0.message) (\($0.location))" }
        return parts.joined(separator: "; ")
    }
}

/// One failed expectation.
public struct Failure: Sendable, Hashable, CustomStringConvertible {
    /// What was expected and what happened.
    public var message: String
    /// Where the check recorded it.
    public var location: CheckLocation

    /// Creates a failure.
    public init(message: String, location: CheckLocation) {
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(message)" }
}

/// How binding a clause is.
///
/// A MUST failure fails the implementation; a SHOULD failure is reported as a
/// warning (an error in strict mode); a MAY clause is informative and records
/// what the implementation does.
public enum Level: String, Codable, Sendable, CaseIterable, Comparable {
    /// Required. Python: what the documentation guarantees.
    case must = "MUST"
    /// Recommended: CPython does it, but another behaviour is defensible.
    case should = "SHOULD"
    /// Informative: recorded, never required.
    case may = "MAY"

    private var rank: Int {
        switch self {
        case .must: 0
        case .should: 1
        case .may: 2
        }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
}

/// The contract a clause belongs to.
public enum Contract: String, Codable, Sendable, CaseIterable {
    /// ``ConcurrencySpec/ConcurrentFuture``: Python's `concurrent.futures.Future`.
    case future = "Future"
    /// ``ConcurrencySpec/ConcurrentExecutor``: Python's `concurrent.futures.Executor`.
    case executor = "Executor"
    /// ``ConcurrencySpec/LoopTask``: Python's `asyncio.Task`.
    case task = "Task"
    /// ``ConcurrencySpec/EventLoop``: Python's asyncio event loop.
    case loop = "Loop"
}

/// Something an implementation offers, which some clauses need.
///
/// Factories imply their capability (an implementation with a future factory
/// has ``futures``); the rest are declared by the adopter, such as
/// ``synchronousCallbacks``.
public struct Capability: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String

    /// Creates a capability from its name.
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Makes ``ConcurrencySpec/ConcurrentFuture`` values on demand.
    public static let futures = Capability(rawValue: "futures")
}

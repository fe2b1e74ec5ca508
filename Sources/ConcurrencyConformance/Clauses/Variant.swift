/// One way of running a clause's check.
///
/// As in the Promises/A+ suite, a rule about completion is checked with the
/// future already done, done right away by another thread, and done later by
/// another thread; each variant is its own test case.
public struct Variant: Hashable, Sendable, CustomStringConvertible {
    /// A short label, shown after the clause ID.
    public let name: String

    /// Creates a variant.
    public init(_ name: String) { self.name = name }

    public var description: String { name }

    /// The future is completed before the check observes it.
    public static let alreadyDone = Variant("already done")
    /// Another thread completes the future at once, racing the observer.
    public static let doneRightAway = Variant("done right away by another thread")
    /// Another thread completes the future one time unit later.
    public static let doneLater = Variant("done later by another thread")

    /// The three completion timings, in the order above.
    public static let completionTimings: [Variant] = [.alreadyDone, .doneRightAway, .doneLater]

    /// The loop runs in the implementation's virtual time: timing is exact.
    public static let virtualClock = Variant("virtual clock")
    /// The loop runs in real time: timing is checked with bounds.
    public static let realClock = Variant("real clock")

    /// Both clock modes, virtual first.
    public static let clockModes: [Variant] = [.virtualClock, .realClock]
}

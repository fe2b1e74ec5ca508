#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The kit's one timing configuration: a base unit of real time, scaled by a
/// single factor for slow machines.
///
/// Every duration in a check is a multiple of ``unit``, and every watchdog
/// deadline too, so raising the scale (for instance under ThreadSanitizer,
/// which slows code several-fold) stretches all of them together without
/// loosening any bound in the code.
public struct Timing: Sendable, Hashable, CustomStringConvertible {
    /// The unit before scaling: 50 ms.
    public static let baseUnit: Duration = .milliseconds(50)

    /// The environment variable that sets ``scale``, e.g. `CONFORMANCE_TIME_SCALE=3`.
    public static let scaleVariable = "CONFORMANCE_TIME_SCALE"

    /// The factor applied to the base unit.
    public let scale: Double

    /// One time unit: ``baseUnit`` × ``scale``.
    public var unit: Duration { Timing.baseUnit * scale }

    /// Creates a configuration with the given scale.
    /// - Throws: ``TimingConfigurationError`` unless `scale` is finite and
    ///   positive.
    public init(scale: Double = 1) throws(TimingConfigurationError) {
        guard scale.isFinite, scale > 0 else { throw TimingConfigurationError(text: String(scale)) }
        self.scale = scale
    }

    /// Reads the scale from an environment value such as `"3"`.
    /// - Throws: ``TimingConfigurationError`` when the text is not a positive
    ///   number.
    public init(environmentValue text: String?) throws(TimingConfigurationError) {
        guard let text, !text.isEmpty else {
            self.scale = 1
            return
        }
        guard let scale = Double(text), scale.isFinite, scale > 0 else {
            throw TimingConfigurationError(text: text)
        }
        self.scale = scale
    }

    /// The configuration from `CONFORMANCE_TIME_SCALE`.
    ///
    /// A malformed value stops the process with a message naming it: a CI
    /// job that asked for a slower scale must not silently run at the normal
    /// one.
    public static var current: Timing {
        let text = getenv(scaleVariable).map { String(cString: $0) }
        do {
            return try Timing(environmentValue: text)
        } catch {
            fatalError("\(error)")
        }
    }

    /// `count` time units.
    public func units(_ count: Double) -> Duration { unit * count }

    public var description: String { "unit \(unit) (scale \(scale))" }
}

/// A time scale that is not a positive number.
public struct TimingConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rejected text.
    public let text: String

    public var description: String {
        "\(Timing.scaleVariable) must be a positive number, got '\(text)'"
    }
}

extension Duration {
    /// The duration in seconds, for reports.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Python's `time.sleep`: blocks the calling thread for at least `duration`
/// as `ContinuousClock` measures it, resuming after signals and early
/// wake-ups, so checks and twins can assert a hard lower bound on it.
public func blockingSleep(_ duration: Duration) {
    let clock = ContinuousClock()
    let deadline = clock.now + duration
    while true {
        let left = deadline - clock.now
        guard left > .zero else { return }
        let (seconds, attoseconds) = left.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000) + 1)
        if request.tv_nsec >= 1_000_000_000 {
            request.tv_sec += 1
            request.tv_nsec -= 1_000_000_000
        }
        nanosleep(&request, nil)
    }
}

/// Filters `items` with `keep` again every `interval` until none is left
/// or `limit` has passed: waiting for processes or threads to go away.
/// - Returns: The items `keep` still held for at the end.
func keepFiltering<Item>(
    _ items: [Item],
    within limit: Duration,
    every interval: Duration,
    _ keep: (Item) -> Bool
) -> [Item] {
    let deadline = ContinuousClock.now + limit
    var left = items.filter(keep)
    while !left.isEmpty && ContinuousClock.now < deadline {
        blockingSleep(interval)
        left = left.filter(keep)
    }
    return left
}

import ConcurrencyConformance
import ConcurrencyReference
import Foundation
import Testing

/// Seed §concurrent.futures, the complete `submit` example:
///
/// ```python
/// def return_after(seconds, message):
///     time.sleep(seconds)
///     return message
/// with concurrent.futures.ThreadPoolExecutor() as executor:
///     future1 = executor.submit(return_after, 2, ("hello"))
///     future2 = executor.submit(return_after, 2, ("world"))
///     print(future1.result(), future2.result())   # hello world, after ~2 s
/// ```
/// One seed second is one kit time unit; the two calls overlap, so the block
/// takes about 2 units, not the 4 of running them one after the other.
@Suite("Seed: submit")
struct SubmitTwinTests {
    @Test func helloWorldTakesTwoUnitsNotFour() async throws {
        let unit = Timing.current.unit
        let outcome = try await Conformance.withExclusiveTiming { () -> Result<(String, Duration), any Error> in
            Result {
                let clock = ContinuousClock()
                let start = clock.now
                let line = try withExecutor(try ThreadPoolExecutor()) { executor in
                    @Sendable func returnAfter(_ units: Double, _ message: String) -> String {
                        Thread.sleep(forTimeInterval: Double((unit * units).components.seconds) + Double((unit * units).components.attoseconds) / 1e18)
                        return message
                    }
                    let future1 = try executor.submit { returnAfter(2, "hello") }
                    let future2 = try executor.submit { returnAfter(2, "world") }
                    return "\(try future1.result()) \(try future2.result())"
                }
                return (line, clock.now - start)
            }
        }.get()
        #expect(outcome.0 == "hello world")
        #expect(outcome.1 >= unit * 2)
        #expect(outcome.1 < unit * 3, "the two calls did not overlap")
    }
}

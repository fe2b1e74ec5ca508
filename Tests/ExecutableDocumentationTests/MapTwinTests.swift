import ConcurrencyConformance
import ConcurrencyReference
import Foundation
import Testing

/// The seed's `is_prime`, line for line.
@Sendable private func isPrime(_ n: Int) -> Bool {
    if n < 2 { return false }
    if n == 2 { return true }
    if n % 2 == 0 { return false }
    let sqrtN = Int(Double(n).squareRoot().rounded(.down))
    var i = 3
    while i <= sqrtN {
        if n % i == 0 { return false }
        i += 2
    }
    return true
}

private struct Boom: Error, Equatable {
    let input: Int
}

@Suite("Seed: Executor.map")
struct MapTwinTests {
    /// Seed §concurrent.futures, `Executor.map()`:
    ///
    /// ```python
    /// PRIMES = [
    ///     112272535095293,
    ///     112582705942171,
    ///     112272535095293,
    ///     115280095190773,
    ///     115797848077099,
    ///     1099726899285419]
    ///
    /// def main():
    ///     with concurrent.futures.ProcessPoolExecutor() as executor:
    ///         results_generator = executor.map(is_prime, PRIMES)
    ///         for number, prime in zip(PRIMES, results_generator):
    ///             print('%d is prime: %s' % (number, prime))
    /// ```
    /// Prints `True` for the first five and `False` for the last (the output
    /// the Python documentation shows for this program). The seed calls `map`
    /// a "map-like operation over each future returning a generator of future
    /// results"; imprecise (Appendix B #9): it takes plain arguments, not
    /// futures, and yields result *values* in input order, which is what
    /// makes the `zip` with `PRIMES` pair each number with its own answer.
    /// The reference has no process pool, so the twin uses the thread pool
    /// through the same interface. The twin is CPU-bound for a few hundred
    /// milliseconds, so it runs while no timed check does.
    @Test func isPrimeResultsComeBackInInputOrder() async throws {
        let primes = [
            112_272_535_095_293,
            112_582_705_942_171,
            112_272_535_095_293,
            115_280_095_190_773,
            115_797_848_077_099,
            1_099_726_899_285_419,
        ]
        let lines = try await Twin.timed(budget: 1200) { () throws -> [String] in
            try withExecutor(try ThreadPoolExecutor()) { executor in
                let resultsGenerator = try executor.map(primes, isPrime)
                var lines: [String] = []
                for (number, prime) in zip(primes, try resultsGenerator.collect()) {
                    lines.append("\(number) is prime: \(prime ? "True" : "False")")
                }
                return lines
            }
        }
        #expect(lines == Twin.primeLines)
    }

    /// The ordering the `PRIMES` example relies on, made visible (Appendix
    /// B #9; MAP-001, MAP-002): calls taking 3, 2 and 1 units, in that input
    /// order. Every call starts before any result is read (map submits them
    /// all before returning, it is not a lazy generator of calls); the first
    /// result read is the first *input*'s, delivered only after 3 units, when
    /// the two later inputs have long completed.
    @Test func resultsFollowInputOrderNotCompletionOrder() async throws {
        let unit = Twin.unit
        let outcome = try await Twin.timed { () throws -> (allStartedUnread: Bool, first: Int?, firstAfter: Duration, othersDoneByThen: Bool, rest: [Int], total: Duration) in
            let started = Latch(count: 3)
            let seconds = [3.0, 2.0, 1.0]
            return try withExecutor(try ThreadPoolExecutor(maxWorkers: 3)) { executor in
                let clock = ContinuousClock()
                let start = clock.now
                let results = try executor.map(0..<3) { index in
                    started.arrive()
                    Twin.sleep(seconds: seconds[index])
                    return index
                }
                let allStartedUnread = started.wait(timeout: Twin.seconds(1))
                let first = try results.next()
                let firstAfter = clock.now - start
                let othersDoneByThen = results.underlyingFutures.dropFirst().allSatisfy(\.isDone)
                let rest = try results.collect()
                return (allStartedUnread, first, firstAfter, othersDoneByThen, rest, clock.now - start)
            }
        }
        #expect(outcome.allStartedUnread, "map did not start every call before its results were read")
        #expect(outcome.first == 0, "the first result read is not the first input's")
        #expect(outcome.firstAfter >= unit * 3)
        #expect(outcome.othersDoneByThen, "the later, shorter calls had not completed before the first result")
        #expect(outcome.rest == [1, 2])
        #expect(outcome.total < unit * 4, "the calls did not overlap (one after the other takes 6 units)")
    }

    /// Appendix B #9, last clause: "an exception is raised when its element is
    /// reached" (MAP-004). A job that throws for input 2 of `range(5)`: the
    /// results before it are read normally, reading element 2 throws the
    /// job's own error, and the iteration is then over.
    @Test func anErrorIsRaisedWhenItsElementIsReached() async throws {
        let (before, error, after) = try await Twin.blocking { () throws -> ([Int], Boom?, Int?) in
            try withExecutor(try ThreadPoolExecutor(maxWorkers: 2)) { executor in
                let results = try executor.map(0..<5) { x in
                    if x == 2 { throw Boom(input: x) }
                    return x
                }
                let before = [try results.next(), try results.next()].compactMap { $0 }
                var caught: Boom?
                do {
                    _ = try results.next()
                } catch let boom as Boom {
                    caught = boom
                }
                return (before, caught, try results.next())
            }
        }
        #expect(before == [0, 1])
        #expect(error == Boom(input: 2), "reading element 2 did not throw the job's own error")
        #expect(after == nil, "the iteration went on after the error")
    }
}

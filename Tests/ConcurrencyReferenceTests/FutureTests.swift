import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
import Foundation
import Synchronization
import Testing

/// What the reference promises beyond the clauses: its diagnostics and hooks.
@Suite("Reference Future")
struct FutureTests {
    struct Boom: Error {}

    @Test func callbackErrorsReachTheHandler() throws {
        let seen = Locked<[String]>([])
        let future = Future<Int>(callbackErrorHandler: { error, _ in seen.withLock { $0.append("\(error)") } })
        future.addDoneCallback { _ in throw Boom() }
        try future.setResult(1)
        #expect(seen.value == ["Boom()"])
        #expect(try future.result() == 1)
    }

    @Test func descriptionFollowsPythonsRepr() throws {
        let future = Future<Int>()
        #expect(future.description.hasSuffix("state=pending>"))
        _ = try future.setRunningOrNotifyCancel()
        #expect(future.description.hasSuffix("state=running>"))
        try future.setException(Boom())
        #expect(future.description.hasSuffix("state=finished raised Boom>"))
        let cancelled = Future<String>()
        cancelled.cancel()
        #expect(cancelled.description.hasSuffix("state=cancelled>"))
    }

    /// A class instance that counts how many of its kind are alive.
    final class Tracked: Sendable {
        static let alive = Atomic<Int>(0)
        let tag: Int
        init(_ tag: Int) {
            self.tag = tag
            Self.alive.add(1, ordering: .relaxed)
        }
        deinit { Self.alive.subtract(1, ordering: .relaxed) }
    }

    /// Larger than the four words a future stores inline.
    struct Wide: Sendable, Equatable {
        var words: (Int, Int, Int, Int, Int) = (1, 2, 3, 4, 5)
        var name = "wide"
        var tracked: Tracked
        static func == (lhs: Wide, rhs: Wide) -> Bool {
            lhs.words == rhs.words && lhs.name == rhs.name && lhs.tracked === rhs.tracked
        }
    }

    // The future keeps small values in raw inline storage and larger ones in
    // a box: both must hand back the value intact, any number of times, and
    // release it exactly once when the future goes away.
    @Test func valuesOfEverySizeAreKeptAndReleasedOnce() throws {
        let before = Tracked.alive.load(ordering: .relaxed)
        do {
            let small = Future<Tracked>()
            try small.setResult(Tracked(7))
            #expect(try small.result().tag == 7)
            #expect(try small.result().tag == 7)

            let text = Future<String>()
            try text.setResult(String(repeating: "long enough to be on the heap ", count: 4))
            #expect(try text.result().hasPrefix("long enough"))

            let wideValue = Wide(tracked: Tracked(9))
            let wide = Future<Wide>()
            try wide.setResult(wideValue)
            #expect(try wide.result() == wideValue)
            #expect(wide.description.hasSuffix("state=finished returned Wide>"))

            // Futures that never got a value, or got an error, own nothing.
            _ = Future<Tracked>()
            let failed = Future<Tracked>()
            try failed.setException(Boom())
            #expect(throws: Boom.self) { try failed.result() }
            #expect(Tracked.alive.load(ordering: .relaxed) == before + 2)
        }
        #expect(Tracked.alive.load(ordering: .relaxed) == before)
    }

    // The state is one atomic word with no lock on the fast paths: race
    // every transition against the others and against parked readers, and
    // check that each race has exactly one winner and every callback runs once.
    @Test func racingTransitionsHaveOneWinner() throws {
        for round in 0..<2_000 {
            let future = Future<Int>()
            let callbackRuns = Atomic<Int>(0)
            let outcomes = Locked<[String]>([])
            future.addDoneCallback { _ in callbackRuns.add(1, ordering: .relaxed) }
            DispatchQueue.concurrentPerform(iterations: 4) { role in
                switch role {
                case 0:
                    let won = (try? future.setResult(round)) != nil
                    outcomes.withLock { $0.append(won ? "set" : "set refused") }
                case 1:
                    let won = future.cancel()
                    outcomes.withLock { $0.append(won ? "cancel" : "cancel refused") }
                case 2:
                    future.addDoneCallback { _ in callbackRuns.add(1, ordering: .relaxed) }
                default:
                    let read: String
                    do { read = try future.result(timeout: .seconds(10)) == round ? "read value" : "read wrong value" }
                    catch ConcurrencyError.cancelled { read = "read cancelled" }
                    catch { read = "read \(error)" }
                    outcomes.withLock { $0.append(read) }
                }
            }
            let seen = Set(outcomes.value)
            let valueWon = seen == ["set", "cancel refused", "read value"]
            let cancelWon = seen == ["set refused", "cancel", "read cancelled"]
            #expect(valueWon || cancelWon, "round \(round): \(outcomes.value.sorted())")
            #expect(future.state == (valueWon ? .finished : .cancelled))
            #expect(callbackRuns.load(ordering: .relaxed) == 2, "round \(round)")
        }
    }

    @Test func negativeTimeoutDoesNotBlock() {
        let future = Future<Int>()
        #expect(throws: ConcurrencyError.timeout(unfinished: nil)) { try future.result(timeout: .seconds(-5)) }
    }

    @Test func hugeTimeoutDoesNotOverflow() throws {
        let future = Future<Int>()
        Thread { try? future.setResult(3) }.start()
        #expect(try future.result(timeout: .seconds(Int64.max)) == 3)
    }

    @Test func valueAwaitsWithoutBlocking() async throws {
        let future = Future<Int>()
        Thread {
            Thread.sleep(forTimeInterval: 0.01)
            try? future.setResult(8)
        }.start()
        #expect(try await future.value == 8)
    }

    @Test func errorsCarryPythonNames() {
        #expect(ConcurrencyError.cancelled.pythonName == "CancelledError")
        #expect(ConcurrencyError.timeout(unfinished: 2).pythonName == "TimeoutError")
        #expect(ConcurrencyError.invalidState(operation: .setResult, state: .finished).pythonName == "InvalidStateError")
        #expect(ConcurrencyError.invalidState(operation: .setRunningOrNotifyCancel, state: .running).pythonName == "RuntimeError")
        #expect(ConcurrencyError.brokenExecutor(reason: "x").pythonName == "BrokenExecutor")
        #expect(ConcurrencyError.timeout(unfinished: 2).description.contains("2 future(s) unfinished"))
        #expect(FutureState.cancelledAndNotified.pythonName == "CANCELLED_AND_NOTIFIED")
        #expect(ReturnWhen.firstException.pythonName == "FIRST_EXCEPTION")
    }
}

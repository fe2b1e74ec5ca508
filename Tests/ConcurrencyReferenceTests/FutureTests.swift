import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
import Foundation
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

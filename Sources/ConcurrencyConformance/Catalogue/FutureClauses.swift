import ConcurrencySpec
import Foundation

/// An error with identity, so a check can tell whether the very object it
/// stored comes back.
final class ProbeError: Error, Sendable, CustomStringConvertible {
    let tag: String
    init(_ tag: String) { self.tag = tag }
    var description: String { "ProbeError(\(tag))" }
}

extension CheckContext {
    /// Records a failure unless `body` throws `expected` itself, the very
    /// object: rules that say an error comes back unchanged check identity.
    func expectRethrows<Result>(
        _ expected: ProbeError,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: () throws -> Result
    ) {
        expectThrown(expected, Swift.Result { try body() }, what, fileID: fileID, line: line)
    }

    /// ``expectRethrows(_:_:fileID:line:_:)`` for an `async` body.
    func expectRethrows<Result>(
        _ expected: ProbeError,
        _ what: String,
        fileID: String = #fileID,
        line: Int = #line,
        _ body: () async throws -> Result
    ) async {
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        expectThrown(expected, outcome, what, fileID: fileID, line: line)
    }

    /// The check behind every `expectRethrows`: `outcome` must be a thrown
    /// `Expected` that `matches`; `mismatch` describes one that does not.
    func expectThrown<Expected: Error, Value>(
        _ expected: Expected,
        _ outcome: Swift.Result<Value, any Error>,
        _ what: String,
        matches: (Expected) -> Bool,
        mismatch: (Expected) -> String,
        fileID: String,
        line: Int
    ) {
        switch outcome {
        case .success(let value):
            fail("\(what) returned \(value) instead of throwing \(expected)", fileID: fileID, line: line)
        case .failure(let thrown as Expected):
            expect(matches(thrown), mismatch(thrown), fileID: fileID, line: line)
        case .failure(let error):
            fail("\(what) threw \(describe(error)) instead of \(expected)", fileID: fileID, line: line)
        }
    }

    /// `expectThrown` for a ``ProbeError``: the very object.
    private func expectThrown<Value>(
        _ expected: ProbeError,
        _ outcome: Swift.Result<Value, any Error>,
        _ what: String,
        fileID: String,
        line: Int
    ) {
        expectThrown(
            expected, outcome, what,
            matches: { $0 === expected },
            mismatch: { _ in "\(what) threw a different ProbeError object" },
            fileID: fileID, line: line
        )
    }
}

/// The FUT group: the thread-safe future of `concurrent.futures`.
enum FutureClauses {
    static let all: [ClauseDefinition] = [
        fut001, fut002, fut003, fut004, fut005, fut006, fut007, fut008, fut009, fut010,
        fut011, fut012, fut013, fut014, fut015, fut016, fut017, fut018, fut019,
    ]

    static let fut001 = ClauseDefinition(
        id: "FUT-001", contract: .future, level: .must,
        statement: "A newly created future is pending: not done, not running, not cancelled.",
        source: "CF-DOC Future",
        method: "Create a future and read state, isDone, isRunning and isCancelled.",
        hint: "Look at the initial state and at the predicates derived from it.",
        requires: [.futures],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            ctx.expect(future.state == .pending, "state is \(future.state), not PENDING")
            ctx.expect(!future.isDone, "a new future reports isDone")
            ctx.expect(!future.isRunning, "a new future reports isRunning")
            ctx.expect(!future.isCancelled, "a new future reports isCancelled")
        }
    )

    static let fut002 = ClauseDefinition(
        id: "FUT-002", contract: .future, level: .must,
        statement: "result(timeout:) and exception(timeout:) on a future that stays pending block for at least the timeout and then throw a timeout error; a zero timeout does not block.",
        source: "CF-DOC Future.result, Future.exception",
        method: "On a pending future, call result(timeout: T) and exception(timeout: T) with T = 2 units, then both with a zero timeout.",
        timingRule: "each call takes ≥ T and < T + 6 units; zero-timeout calls take < 2 units",
        hint: "Look at how the timeout becomes a deadline, and at what the wait does when it expires.",
        requires: [.futures], timing: .realTime,
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let timeout = ctx.units(2)
            let reads: [(String, (Duration) throws -> Void)] = [
                ("result(timeout:)", { _ = try future.result(timeout: $0) }),
                ("exception(timeout:)", { _ = try future.exception(timeout: $0) }),
            ]
            for (name, read) in reads {
                let (_, elapsed) = ctx.measure { ctx.expectThrows(.timeout, name) { try read(timeout) } }
                ctx.expectAtLeast(elapsed, timeout, name)
                ctx.expectBelow(elapsed, timeout + ctx.units(6), name)
                let (_, immediate) = ctx.measure { ctx.expectThrows(.timeout, "\(name) with zero timeout") { try read(.zero) } }
                ctx.expectBelow(immediate, ctx.units(2), "\(name) with zero timeout")
            }
            ctx.expect(future.state == .pending, "timing out changed the state to \(future.state)")
        }
    )

    static let fut003 = ClauseDefinition(
        id: "FUT-003", contract: .future, level: .must,
        statement: "result() without a timeout blocks the caller until another thread completes the future, then returns that value.",
        source: "CF-DOC Future.result",
        method: "A helper thread sets the result after 2 units while the check's thread is blocked in result().",
        timingRule: "result() returns after ≥ 2 units and < 8 units",
        hint: "Look at the blocking path of result(): it must wait on the state, not return or throw early.",
        requires: [.futures], timing: .realTime,
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let delay = ctx.units(2)
            let (value, elapsed) = ctx.measure {
                ctx.spawn("completer") {
                    Thread.sleep(forTimeInterval: delay.seconds)
                    try future.setResult(42)
                }
                return ctx.expectNoThrow("result()") { try future.result() }
            }
            ctx.expect(value == 42, "result() returned \(String(describing: value)), not 42")
            ctx.expectAtLeast(elapsed, delay, "result()")
            ctx.expectBelow(elapsed, delay + ctx.units(6), "result()")
        }
    )

    static let fut004 = ClauseDefinition(
        id: "FUT-004", contract: .future, level: .must,
        statement: "When the call threw, result() rethrows that same error object and exception() returns it without throwing; after a value, exception() returns nil.",
        source: "CF-DOC Future.result, Future.exception",
        method: "Complete one future with an error object and one with a value, per completion variant; compare the object identity of what result() throws and exception() returns.",
        hint: "Look for an error that is wrapped, copied or replaced on its way out, and for exception() throwing instead of returning.",
        requires: [.futures], variants: Variant.completionTimings,
        check: .blocking { ctx in
            let failed = ctx.makeFuture(of: Int.self)
            let succeeded = ctx.makeFuture(of: Int.self)
            let error = ProbeError("FUT-004")
            ctx.complete {
                try failed.setException(error)
                try succeeded.setResult(7)
            }
            ctx.expectRethrows(error, "result() of a future completed with an error") { try failed.result(timeout: ctx.patience) }
            let stored = ctx.expectNoThrow("exception()") { try failed.exception(timeout: ctx.patience) }
            ctx.expect((stored as? ProbeError) === error, "exception() returned \(String(describing: stored)), not the stored error")
            let value = ctx.expectNoThrow("result() of the succeeded future") { try succeeded.result(timeout: ctx.patience) }
            ctx.expect(value == 7, "result() returned \(String(describing: value)), not 7")
            if case let stored?? = ctx.expectNoThrow("exception() of the succeeded future", { try succeeded.exception(timeout: ctx.patience) }) {
                ctx.fail("exception() returned \(stored) after a value, not nil")
            }
        }
    )

    static let fut005 = ClauseDefinition(
        id: "FUT-005", contract: .future, level: .must,
        statement: "cancel() on a pending future returns true and leaves it cancelled and done, not running, having run its done callbacks.",
        source: "CF-DOC Future.cancel",
        method: "Register one callback on a pending future, cancel it, then read the predicates and the callback log.",
        hint: "Look at the pending → cancelled transition: it must run the callbacks like a completion does.",
        requires: [.futures],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let calls = Locked<[Bool]>([])
            future.addDoneCallback { done in calls.withLock { $0.append(done.isCancelled) } }
            ctx.expect(future.cancel(), "cancel() on a pending future returned false")
            ctx.expect(future.isCancelled, "isCancelled is false after cancel()")
            ctx.expect(future.isDone, "isDone is false after cancel()")
            ctx.expect(!future.isRunning, "isRunning is true after cancel()")
            ctx.expect(calls.value == [true], "done callbacks after cancel(): \(calls.value) (want one call that saw the future cancelled)")
        }
    )

    static let fut006 = ClauseDefinition(
        id: "FUT-006", contract: .future, level: .must,
        statement: "cancel() on an already-cancelled future returns true again and changes nothing, unlike an asyncio future.",
        source: "CPython 3.11 concurrent/futures/_base.py Future.cancel",
        method: "Cancel a future twice, and once more after setRunningOrNotifyCancel() acknowledged it; count the callback calls.",
        hint: "Look at cancel() on the cancelled states: it returns true without re-running anything.",
        requires: [.futures],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let calls = Locked(0)
            future.addDoneCallback { _ in calls.withLock { $0 += 1 } }
            ctx.expect(future.cancel(), "first cancel() returned false")
            ctx.expect(future.cancel(), "second cancel() returned false")
            _ = try? future.setRunningOrNotifyCancel()
            ctx.expect(future.cancel(), "cancel() after the cancellation was acknowledged returned false")
            ctx.expect(future.isCancelled, "the future is no longer cancelled")
            ctx.expect(calls.value == 1, "the done callback ran \(calls.value) times, not once")
        }
    )

    static let fut007 = ClauseDefinition(
        id: "FUT-007", contract: .future, level: .must,
        statement: "cancel() on a running or finished future returns false and changes neither its state nor its outcome.",
        source: "CF-DOC Future.cancel",
        method: "Cancel a running future, then finish it; cancel a future finished with a value and one finished with an error.",
        hint: "Look at cancel() in the running and finished states: it must refuse.",
        requires: [.futures],
        check: .blocking { ctx in
            let running = ctx.makeFuture(of: Int.self)
            ctx.expect(ctx.expectNoThrow("setRunningOrNotifyCancel()") { try running.setRunningOrNotifyCancel() } == true,
                       "setRunningOrNotifyCancel() on a pending future did not return true")
            ctx.expect(!running.cancel(), "cancel() on a running future returned true")
            ctx.expect(running.state == .running, "cancel() moved a running future to \(running.state)")
            ctx.expectNoThrow("setResult on the running future after a refused cancel") { try running.setResult(1) }
            ctx.expect((try? running.result(timeout: .zero)) == 1, "the running future did not keep its result")

            let finished = ctx.makeFuture(of: Int.self)
            try finished.setResult(5)
            ctx.expect(!finished.cancel(), "cancel() on a finished future returned true")
            ctx.expect(!finished.isCancelled && finished.state == .finished, "cancel() changed a finished future to \(finished.state)")
            ctx.expect((try? finished.result(timeout: .zero)) == 5, "cancel() changed the result of a finished future")

            let failed = ctx.makeFuture(of: Int.self)
            let error = ProbeError("FUT-007")
            try failed.setException(error)
            ctx.expect(!failed.cancel(), "cancel() on a future finished with an error returned true")
            ctx.expect((try? failed.exception(timeout: .zero)) as? ProbeError === error, "cancel() changed the stored error")
        }
    )

    static let fut008 = ClauseDefinition(
        id: "FUT-008", contract: .future, level: .must,
        statement: "result() and exception() on a cancelled future throw a cancellation error at once, whatever timeout is passed.",
        source: "CF-DOC Future.result",
        method: "Cancel a future, then call result() and exception() with a zero timeout, a 10-unit timeout and no timeout.",
        timingRule: "each call returns in < 5 units (half the 10-unit timeout)",
        hint: "Look at the order of the checks in result(): cancelled must be tested before waiting.",
        requires: [.futures], timing: .realTime,
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            future.cancel()
            let timeouts: [Duration?] = [.zero, ctx.units(10), nil]
            for timeout in timeouts {
                let label = timeout.map { "timeout \($0)" } ?? "no timeout"
                let (_, resultTime) = ctx.measure { ctx.expectThrows(.cancelled, "result() with \(label)") { try future.result(timeout: timeout) } }
                ctx.expectBelow(resultTime, ctx.units(5), "result() with \(label)")
                let (_, exceptionTime) = ctx.measure { ctx.expectThrows(.cancelled, "exception() with \(label)") { try future.exception(timeout: timeout) } }
                ctx.expectBelow(exceptionTime, ctx.units(5), "exception() with \(label)")
            }
        }
    )

    static let fut009 = ClauseDefinition(
        id: "FUT-009", contract: .future, level: .must,
        statement: "setRunningOrNotifyCancel() returns true and moves a pending future to running, returns false for a cancelled one, and throws an invalid-state error when called again or after a result.",
        source: "CF-DOC Future.set_running_or_notify_cancel",
        method: "Drive four futures through each transition: pending, cancelled, finished with a value, finished with an error; call it twice on the first two.",
        hint: "Look at setRunningOrNotifyCancel() in every state; only pending and cancelled are legal.",
        requires: [.futures],
        check: .blocking { ctx in
            let pending = ctx.makeFuture(of: Int.self)
            ctx.expect(ctx.expectNoThrow("setRunningOrNotifyCancel() on a pending future") { try pending.setRunningOrNotifyCancel() } == true,
                       "setRunningOrNotifyCancel() on a pending future did not return true")
            ctx.expect(pending.state == .running && pending.isRunning, "state after setRunningOrNotifyCancel() is \(pending.state), not RUNNING")
            ctx.expectThrows(.invalidState, "a second setRunningOrNotifyCancel()") { try pending.setRunningOrNotifyCancel() }

            let cancelled = ctx.makeFuture(of: Int.self)
            cancelled.cancel()
            ctx.expect(ctx.expectNoThrow("setRunningOrNotifyCancel() on a cancelled future") { try cancelled.setRunningOrNotifyCancel() } == false,
                       "setRunningOrNotifyCancel() on a cancelled future did not return false")
            ctx.expect(cancelled.state == .cancelledAndNotified, "state after acknowledging is \(cancelled.state), not CANCELLED_AND_NOTIFIED")
            ctx.expect(cancelled.isCancelled && cancelled.isDone, "an acknowledged cancellation is no longer cancelled and done")
            ctx.expectThrows(.invalidState, "setRunningOrNotifyCancel() after the cancellation was acknowledged") { try cancelled.setRunningOrNotifyCancel() }

            let finished = ctx.makeFuture(of: Int.self)
            try finished.setResult(1)
            ctx.expectThrows(.invalidState, "setRunningOrNotifyCancel() after setResult") { try finished.setRunningOrNotifyCancel() }
            let failed = ctx.makeFuture(of: Int.self)
            try failed.setException(ProbeError("FUT-009"))
            ctx.expectThrows(.invalidState, "setRunningOrNotifyCancel() after setException") { try failed.setRunningOrNotifyCancel() }
        }
    )

    static let fut010 = ClauseDefinition(
        id: "FUT-010", contract: .future, level: .must,
        statement: "setResult and setException on a finished or cancelled future throw an invalid-state error and leave the stored outcome unchanged.",
        source: "CF-DOC Future.set_result (3.8+)",
        method: "Set twice after a value, after an error, after cancel() and after running then finishing; re-read the outcome each time.",
        hint: "Look at the guard in setResult/setException: every done state must refuse.",
        requires: [.futures],
        check: .blocking { ctx in
            let error = ProbeError("FUT-010")
            let valued = ctx.makeFuture(of: Int.self)
            try valued.setResult(1)
            ctx.expectThrows(.invalidState, "setResult after setResult") { try valued.setResult(2) }
            ctx.expectThrows(.invalidState, "setException after setResult") { try valued.setException(error) }
            ctx.expect((try? valued.result(timeout: .zero)) == 1, "the first result did not survive a second set")

            let failed = ctx.makeFuture(of: Int.self)
            try failed.setException(error)
            ctx.expectThrows(.invalidState, "setResult after setException") { try failed.setResult(2) }
            ctx.expectThrows(.invalidState, "setException after setException") { try failed.setException(ProbeError("other")) }
            ctx.expect((try? failed.exception(timeout: .zero)) as? ProbeError === error, "the first error did not survive a second set")

            let cancelled = ctx.makeFuture(of: Int.self)
            cancelled.cancel()
            ctx.expectThrows(.invalidState, "setResult after cancel()") { try cancelled.setResult(3) }
            ctx.expectThrows(.invalidState, "setException after cancel()") { try cancelled.setException(error) }
            ctx.expect(cancelled.isCancelled, "a set after cancel() un-cancelled the future (\(cancelled.state))")

            let ran = ctx.makeFuture(of: Int.self)
            _ = try ran.setRunningOrNotifyCancel()
            try ran.setResult(4)
            ctx.expectThrows(.invalidState, "setResult after running and finishing") { try ran.setResult(5) }
            ctx.expect((try? ran.result(timeout: .zero)) == 4, "the result of a finished future changed")
        }
    )

    static let fut011 = ClauseDefinition(
        id: "FUT-011", contract: .future, level: .must,
        statement: "Done callbacks registered while pending are each invoked exactly once, in registration order, with the future as argument, after the state is done.",
        source: "CF-DOC Future.add_done_callback",
        method: "Register three callbacks, complete the future (by setResult, setException or cancel per variant), then try every completing call again; read the log.",
        hint: "Look at how the callback list is stored, iterated and cleared, and at when the state changes relative to the calls.",
        requires: [.futures],
        variants: [Variant("by setResult"), Variant("by setException"), Variant("by cancel")],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let identity = ObjectIdentifier(future)
            let log = Locked<[String]>([])
            for index in 1...3 {
                future.addDoneCallback { argument in
                    let same = ObjectIdentifier(argument) == identity
                    log.withLock { $0.append("cb\(index)" + (argument.isDone ? "" : " saw not done") + (same ? "" : " got another future")) }
                }
            }
            ctx.expect(log.value.isEmpty, "callbacks ran before completion: \(log.value)")
            switch ctx.variant?.name {
            case "by setException"?: try future.setException(ProbeError("FUT-011"))
            case "by cancel"?: ctx.expect(future.cancel(), "cancel() on a pending future returned false")
            default: try future.setResult(1)
            }
            // Every further completing call is refused; none may run a callback again.
            future.cancel()
            _ = try? future.setRunningOrNotifyCancel()
            _ = try? future.setResult(2)
            _ = try? future.setException(ProbeError("again"))
            future.cancel()
            ctx.expect(log.value == ["cb1", "cb2", "cb3"], "callback log is \(log.value), want [cb1, cb2, cb3]")
        }
    )

    static let fut012 = ClauseDefinition(
        id: "FUT-012", contract: .future, level: .should,
        statement: "Done callbacks run synchronously on the thread that completes or cancels the future, before that call returns.",
        source: "CF-DOC Future.add_done_callback; CPython 3.11 _base.py Future._invoke_callbacks",
        method: "A helper thread registers its identity, completes the future (setResult, then cancel on a second future) and reads the callback log right after the call returns.",
        hint: "Look for callbacks handed to a queue or another thread instead of being called in place.",
        requires: [.futures],
        check: .blocking { ctx in
            let completions: [(String, @Sendable (any ConcurrentFuture<Int>) throws -> Void)] = [
                ("setResult", { try $0.setResult(1) }),
                ("cancel()", { _ = $0.cancel() }),
            ]
            for (name, completion) in completions {
                let future = ctx.makeFuture(of: Int.self)
                let ranOn = Locked<[ThreadIdentity]>([])
                future.addDoneCallback { _ in ranOn.withLock { $0.append(.current) } }
                let finished = ctx.spawn("completer") {
                    let me = ThreadIdentity.current
                    try completion(future)
                    let seen = ranOn.value
                    ctx.expect(seen == [me], "right after \(name) returned, the callback had run on \(seen), not once on the completing \(me)")
                }
                finished.wait(timeout: ctx.patience)
            }
        }
    )

    static let fut013 = ClauseDefinition(
        id: "FUT-013", contract: .future, level: .must,
        statement: "A callback added to a future that is already done is invoked at once, on the calling thread, before addDoneCallback returns.",
        source: "CF-DOC Future.add_done_callback",
        method: "Per variant, finish the future (value, error, cancelled); add two callbacks and read the log right after each call.",
        hint: "Look at addDoneCallback on a done future: it must call, not store.",
        requires: [.futures],
        variants: [Variant("finished with a value"), Variant("finished with an error"), Variant("cancelled")],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            switch ctx.variant?.name {
            case "finished with an error"?: try future.setException(ProbeError("FUT-013"))
            case "cancelled"?: future.cancel()
            default: try future.setResult(1)
            }
            let me = ThreadIdentity.current
            let ranOn = Locked<[ThreadIdentity]>([])
            future.addDoneCallback { _ in ranOn.withLock { $0.append(.current) } }
            ctx.expect(ranOn.value == [me], "after the first addDoneCallback returned, the callback had run on \(ranOn.value), want once on \(me)")
            future.addDoneCallback { _ in ranOn.withLock { $0.append(.current) } }
            ctx.expect(ranOn.value == [me, me], "after the second addDoneCallback returned, the log is \(ranOn.value), want [\(me), \(me)]")
        }
    )

    static let fut014 = ClauseDefinition(
        id: "FUT-014", contract: .future, level: .must,
        statement: "An error thrown by a done callback is reported and swallowed: later callbacks still run and the outcome is unaffected.",
        source: "CF-DOC Future.add_done_callback",
        method: "Register three callbacks of which the second throws; set a result; add a throwing and then a plain callback to the done future.",
        hint: "Look at the loop that runs callbacks: each call needs its own error handling.",
        requires: [.futures],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let log = Locked<[String]>([])
            future.addDoneCallback { _ in log.withLock { $0.append("cb1") } }
            future.addDoneCallback { _ in throw ProbeError("callback") }
            future.addDoneCallback { _ in log.withLock { $0.append("cb3") } }
            ctx.expectNoThrow("setResult with a throwing callback registered") { try future.setResult(9) }
            ctx.expect(log.value == ["cb1", "cb3"], "callbacks around a throwing one ran as \(log.value), want [cb1, cb3]")
            future.addDoneCallback { _ in throw ProbeError("late callback") }
            future.addDoneCallback { _ in log.withLock { $0.append("cb5") } }
            ctx.expect(log.value == ["cb1", "cb3", "cb5"], "a callback added after a throwing one did not run: \(log.value)")
            ctx.expect(future.state == .finished, "a throwing callback changed the state to \(future.state)")
            ctx.expect((try? future.result(timeout: .zero)) == 9, "a throwing callback changed the result")
        }
    )

    static let fut015 = ClauseDefinition(
        id: "FUT-015", contract: .future, level: .must,
        statement: "A future only moves pending → running → finished, pending → finished, or pending → cancelled → cancelled-and-notified; once done it stays done, at most one completion succeeds, and the outcome never changes.",
        source: "CPython 3.11 concurrent/futures/_base.py (states)",
        method: "300 rounds: three threads released together by a latch race random, seeded sequences of cancel, setRunningOrNotifyCancel, setResult and setException on one future while an observer samples the state; check the observed path and the winners.",
        hint: "Look for a check-then-act across two lock sections, or a transition missing from the guard.",
        requires: [.futures], timing: .exclusive, budgetUnits: 200,
        check: .blocking { ctx in try StateMachineProperty.run(ctx, rounds: 300) }
    )

    static let fut016 = ClauseDefinition(
        id: "FUT-016", contract: .future, level: .must,
        statement: "Completing a future happens-before every observation of it: writes made before setResult are visible to a thread that has seen isDone or received the result.",
        source: "Derived: thread safety of concurrent.futures.Future",
        method: "2,000 futures: a writer stores into an unsynchronized box, then sets the result; a reader spins on isDone, then reads result(timeout: 0) and the box; then the same with a blocking result(). Run it under ThreadSanitizer too.",
        hint: "Look for a done flag published before the outcome is stored, or read without acquire ordering.",
        requires: [.futures], timing: .exclusive, budgetUnits: 200,
        check: .blocking { ctx in HappensBeforeProperty.run(ctx, count: 2_000) }
    )

    static let fut017 = ClauseDefinition(
        id: "FUT-017", contract: .future, level: .should,
        statement: "Errors follow Python's taxonomy and say enough to debug: an invalid-state error names the refused operation and the state the future was in, and a single future's timeout counts no other futures.",
        source: "CF-DOC Exception classes; Python's InvalidStateError messages",
        method: "Provoke each refusal (setResult and setException when finished, setResult when cancelled and when acknowledged, setRunningOrNotifyCancel when running) and compare the error's payload; time out once.",
        hint: "Look at the values the invalid-state error is built from.",
        requires: [.futures],
        check: .blocking { ctx in
            func expectRefusal(_ label: String, _ want: ConcurrencyError, _ body: () throws -> Void) {
                do {
                    try body()
                    ctx.fail("\(label) did not throw")
                } catch let error as ConcurrencyError {
                    ctx.expect(error == want, "\(label) threw \(error), want \(want)")
                } catch {
                    ctx.fail("\(label) threw \(ctx.describe(error)), want \(want)")
                }
            }
            let finished = ctx.makeFuture(of: Int.self)
            try finished.setResult(1)
            expectRefusal("setResult on a finished future", .invalidState(operation: .setResult, state: .finished)) { try finished.setResult(2) }
            expectRefusal("setException on a finished future", .invalidState(operation: .setException, state: .finished)) { try finished.setException(ProbeError("x")) }
            let cancelled = ctx.makeFuture(of: Int.self)
            cancelled.cancel()
            expectRefusal("setResult on a cancelled future", .invalidState(operation: .setResult, state: .cancelled)) { try cancelled.setResult(2) }
            _ = try? cancelled.setRunningOrNotifyCancel()
            expectRefusal("setResult after the cancellation was acknowledged", .invalidState(operation: .setResult, state: .cancelledAndNotified)) { try cancelled.setResult(2) }
            let running = ctx.makeFuture(of: Int.self)
            _ = try? running.setRunningOrNotifyCancel()
            expectRefusal("a second setRunningOrNotifyCancel()", .invalidState(operation: .setRunningOrNotifyCancel, state: .running)) { _ = try running.setRunningOrNotifyCancel() }
            let pending = ctx.makeFuture(of: Int.self)
            expectRefusal("result(timeout: 0) on a pending future", .timeout(unfinished: nil)) { _ = try pending.result(timeout: .zero) }
        }
    )

    static let fut018 = ClauseDefinition(
        id: "FUT-018", contract: .future, level: .must,
        statement: "Completing or cancelling a future promptly wakes every thread blocked in result() or exception(), not just one.",
        source: "CF-DOC Future.result (any number of threads may wait); CPython _base.py notify_all",
        method: "Four threads block in result() or exception() with a 40-unit timeout; once all have started and one more unit has passed, complete the future (per variant); each reader must get the outcome and return soon after the completion.",
        timingRule: "every reader returns < 10 units after the completion (a reader left to its timeout returns after ≈ 37)",
        hint: "Look for a single signal where a broadcast is needed, or waiters registered in a structure that loses entries.",
        requires: [.futures], timing: .realTime, budgetUnits: 80,
        variants: [Variant("by setResult"), Variant("by cancel")],
        check: .blocking { ctx in
            let future = ctx.makeFuture(of: Int.self)
            let cancelling = ctx.variant?.name == "by cancel"
            let readerTimeout = ctx.units(40)
            let clock = ContinuousClock()
            let completedAt = Locked<ContinuousClock.Instant?>(nil)
            let started = Latch(count: 4)
            var readers: [Latch] = []
            for index in 0..<4 {
                readers.append(ctx.spawn("reader \(index)") {
                    started.arrive()
                    let readsResult = index.isMultiple(of: 2)
                    let name = readsResult ? "reader \(index) in result()" : "reader \(index) in exception()"
                    if cancelling {
                        ctx.expectThrows(.cancelled, name) {
                            readsResult ? try future.result(timeout: readerTimeout) as Any : try future.exception(timeout: readerTimeout) as Any
                        }
                    } else if readsResult {
                        let value = ctx.expectNoThrow(name) { try future.result(timeout: readerTimeout) }
                        ctx.expect(value == 5, "\(name) got \(String(describing: value)), not 5")
                    } else if case let error?? = ctx.expectNoThrow(name, { try future.exception(timeout: readerTimeout) }) {
                        ctx.fail("\(name) got \(error), not nil")
                    }
                    let returnedAt = clock.now
                    if let completion = completedAt.value {
                        ctx.expectBelow(returnedAt - completion, ctx.units(10), "\(name), counted from the completion,")
                    }
                })
            }
            started.wait(timeout: ctx.patience)
            // The pause lets every reader park: a reader still on its way in
            // would not need waking, and a signal-only wake-up would go
            // unnoticed.
            ctx.sleep(units: 3)
            completedAt.withLock { $0 = clock.now }
            if cancelling { future.cancel() } else { try future.setResult(5) }
            for reader in readers { reader.wait(timeout: readerTimeout + ctx.units(5)) }
        }
    )

    static let fut019 = ClauseDefinition(
        id: "FUT-019", contract: .future, level: .must,
        statement: "await future.value suspends without blocking a thread until the future is done, then returns the result, rethrows the stored error object, or throws a cancellation error.",
        source: "Swift-native surface of concurrent.futures.Future (the twin of awaiting asyncio.wrap_future)",
        method: "Per completion variant, await value on a future completed with a value, one with an error object and one cancelled.",
        hint: "Look at value, and at addDoneCallback, which the default value is built on.",
        requires: [.futures], variants: Variant.completionTimings,
        check: .async { ctx in
            let valued = ctx.makeFuture(of: Int.self)
            let failed = ctx.makeFuture(of: Int.self)
            let cancelled = ctx.makeFuture(of: Int.self)
            let error = ProbeError("FUT-019")
            ctx.complete {
                try valued.setResult(11)
                try failed.setException(error)
                cancelled.cancel()
            }
            do {
                let value = try await valued.value
                ctx.expect(value == 11, "value returned \(value), not 11")
            } catch {
                ctx.fail("value threw \(ctx.describe(error)) for a future with a result")
            }
            await ctx.expectRethrows(error, "value of a future completed with an error") { try await failed.value }
            do {
                let value = try await cancelled.value
                ctx.fail("value returned \(value) for a cancelled future")
            } catch let thrown as ConcurrencyError {
                ctx.expect(thrown == .cancelled, "value threw \(thrown) for a cancelled future")
            } catch {
                ctx.fail("value threw \(ctx.describe(error)) for a cancelled future")
            }
        }
    )
}

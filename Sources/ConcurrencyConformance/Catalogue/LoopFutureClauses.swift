import ConcurrencySpec
import Foundation

/// The AFUT group (asyncio's loop-bound `Future`, `wrap_future`) and the
/// asyncio halves of WAIT and ASC: the loop's `wait` and `asCompleted`.
enum LoopFutureClauses {
    static let all: [ClauseDefinition] = [
        afut001, afut002, afut003, afut004, afut005, afut006, afut007, afut008, afut009, afut010,
        wait010, wait011, wait012, asc007, asc008,
    ]

    // MARK: Helpers

    /// A task that sleeps `units` of loop time, then returns `value`.
    private static func sleeper(
        _ ctx: CheckContext,
        on loop: any EventLoop,
        units count: Double,
        returning value: Int
    ) throws -> any LoopFuture<Int> {
        let delay = ctx.units(count)
        return try loop.createTask(name: "sleeper \(value)") { () async throws -> Int in
            try await loop.sleep(delay)
            return value
        }
    }

    /// The positions of `futures` within `all`, by identity (-1 for a stranger).
    private static func positions(_ futures: [any AnyLoopFuture], in all: [any AnyLoopFuture]) -> [Int] {
        futures.map { future in all.firstIndex { $0 === future } ?? -1 }
    }

    /// The outcome of an `async` body, as `Result(catching:)` gives it for a
    /// synchronous one.
    private static func settle<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// Cancels what is left of a check's tasks and lets them end, so that no
    /// task outlives its loop.
    private static func dismiss(_ futures: [any LoopFuture<Int>]) async {
        for future in futures where !future.isDone { future.cancel() }
        for future in futures { _ = try? await future.value }
    }

    // MARK: AFUT

    static let afut001 = ClauseDefinition(
        id: "AFUT-001", contract: .loop, level: .must,
        statement: "Reading result() or exception() of a pending loop future throws invalidState at once, since a loop future never blocks and takes no timeout.",
        source: "AIO-FUT Future.result",
        method: "Inside a loop task, call result() and exception() on a fresh loop future; check the error and that the future is still pending.",
        hint: "Look at result() and exception() on a pending future: they must refuse, not wait or time out.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let future = loop.createFuture(of: Int.self)
                let fromResult = ctx.expectThrows(.invalidState, "result() on a pending loop future") { try future.result() }
                if case .invalidState(_, let state)? = fromResult as? ConcurrencyError {
                    ctx.expect(state == .pending, "result() on a pending loop future reported the state \(state), not pending")
                }
                ctx.expectThrows(.invalidState, "exception() on a pending loop future") { try future.exception() }
                ctx.expect(future.state == .pending, "asking a pending loop future for its outcome left it \(future.state)")
            }
        }
    )

    static let afut002 = ClauseDefinition(
        id: "AFUT-002", contract: .loop, level: .must,
        statement: "setResult, setException and cancel never run done callbacks inline: each callback goes through callSoon and runs on a later iteration, in registration order.",
        source: "AIO-FUT add_done_callback; CPython futures.py __schedule_callbacks",
        method: "Three loop futures with three logging callbacks each; finish one with setResult, one with setException, cancel the third; the log must be empty right after, and after one sleep(.zero) hold the nine callbacks in order, each given its own future.",
        hint: "Look at how completing a loop future schedules its callbacks: callSoon each, in the order they were added, never a direct call.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Locked<[String]>([])
                let futures = (0..<3).map { _ in loop.createFuture(of: Int.self) }
                for (label, future) in zip(["set", "failed", "cancelled"], futures) {
                    for index in 1...3 {
                        future.addDoneCallback { given in
                            log.withLock { $0.append(given === future ? "\(label)\(index)" : "\(label)\(index) given another future") }
                        }
                    }
                }
                try futures[0].setResult(1)
                ctx.expect(log.value.isEmpty, "setResult ran done callbacks inline: \(log.value)")
                try futures[1].setException(ProbeError("AFUT-002"))
                ctx.expect(log.value.isEmpty, "setException ran done callbacks inline: \(log.value)")
                futures[2].cancel()
                ctx.expect(log.value.isEmpty, "cancel ran done callbacks inline: \(log.value)")
                try await loop.sleep(.zero)
                let expected = ["set", "failed", "cancelled"].flatMap { label in (1...3).map { "\(label)\($0)" } }
                ctx.expect(log.value == expected, "after one loop iteration the callbacks had logged \(log.value), want \(expected)")
            }
        }
    )

    static let afut003 = ClauseDefinition(
        id: "AFUT-003", contract: .loop, level: .must,
        statement: "addDoneCallback on a loop future that is already done schedules the callback with callSoon instead of calling it inline.",
        source: "AIO-FUT add_done_callback",
        method: "Finish one loop future and cancel another, let an iteration pass, then add two logging callbacks to each; the log must be empty right after and hold the four callbacks in order after one sleep(.zero).",
        hint: "Look at addDoneCallback's path for a future that is already done: it must schedule, not call.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Locked<[String]>([])
                let finished = loop.createFuture(of: Int.self)
                let cancelled = loop.createFuture(of: Int.self)
                try finished.setResult(3)
                cancelled.cancel()
                try await loop.sleep(.zero)
                for (label, future) in [("finished", finished), ("cancelled", cancelled)] {
                    for index in 1...2 {
                        future.addDoneCallback { _ in log.withLock { $0.append("\(label)\(index)") } }
                        ctx.expect(log.value.isEmpty, "addDoneCallback on a \(label) future ran the callback inline: \(log.value)")
                    }
                }
                try await loop.sleep(.zero)
                let expected = ["finished1", "finished2", "cancelled1", "cancelled2"]
                ctx.expect(log.value == expected, "after one loop iteration the callbacks had logged \(log.value), want \(expected)")
            }
        }
    )

    static let afut004 = ClauseDefinition(
        id: "AFUT-004", contract: .loop, level: .must,
        statement: "cancel() on a pending loop future returns true and leaves it done and cancelled, while cancel() on one already finished or cancelled returns false and changes nothing.",
        source: "AIO-FUT Future.cancel",
        method: "Cancel a pending loop future twice; cancel one finished with a value and one finished with an error, then read their outcomes.",
        hint: "Look at cancel()'s return value: unlike a concurrent future, a loop future answers false once it is done, cancelled included.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let pending = loop.createFuture(of: Int.self)
                ctx.expect(pending.cancel(), "cancel() on a pending loop future returned false")
                ctx.expect(pending.isDone && pending.isCancelled && pending.state == .cancelled,
                           "after cancel() the loop future is \(pending.state) (done \(pending.isDone), cancelled \(pending.isCancelled))")
                ctx.expect(!pending.cancel(), "a second cancel() on a cancelled loop future returned true")
                let finished = loop.createFuture(of: Int.self)
                try finished.setResult(4)
                ctx.expect(!finished.cancel(), "cancel() on a loop future finished with a value returned true")
                ctx.expect(finished.state == .finished && (try? finished.result()) == 4,
                           "cancel() changed a finished loop future: it is \(finished.state)")
                let failed = loop.createFuture(of: Int.self)
                try failed.setException(ProbeError("AFUT-004"))
                ctx.expect(!failed.cancel(), "cancel() on a loop future finished with an error returned true")
                ctx.expect(failed.state == .finished, "cancel() changed a failed loop future: it is \(failed.state)")
            }
        }
    )

    static let afut005 = ClauseDefinition(
        id: "AFUT-005", contract: .loop, level: .must,
        statement: "result() and exception() of a cancelled loop future throw cancelled, and so does awaiting it, whether it was cancelled before or during the await.",
        source: "AIO-FUT Future.result",
        method: "Cancel a loop future, then call result(), exception() and await it; then let a task await a pending future and cancel that future while the task waits.",
        hint: "Look at how a cancelled future reports itself: cancelled, not invalidState, from every way of reading it.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let future = loop.createFuture(of: Int.self)
                future.cancel()
                ctx.expectThrows(.cancelled, "result() on a cancelled loop future") { try future.result() }
                ctx.expectThrows(.cancelled, "exception() on a cancelled loop future") { try future.exception() }
                await ctx.expectThrows(.cancelled, "awaiting a cancelled loop future") { try await future.value }
                let awaited = loop.createFuture(of: Int.self)
                let waiter = try loop.createTask(name: "AFUT-005 waiter") { () async -> String in
                    do {
                        let value = try await awaited.value
                        return "returned \(value)"
                    } catch let error as ConcurrencyError where error.kind == .cancelled {
                        return "cancelled"
                    } catch {
                        return "threw \(ctx.describe(error))"
                    }
                }
                try await loop.sleep(.zero)
                awaited.cancel()
                let seen = try await loop.waitFor(waiter, timeout: ctx.patience)
                ctx.expect(seen == "cancelled", "a task awaiting a loop future that was then cancelled \(seen), want a cancelled error")
            }
        }
    )

    static let afut006 = ClauseDefinition(
        id: "AFUT-006", contract: .loop, level: .must,
        statement: "setResult and setException on a loop future that is already done throw invalidState and leave its outcome and callbacks untouched.",
        source: "AIO-FUT Future.set_result",
        method: "Set a value twice, set an error after a value, set either after cancel and a value after an error; check each refusal, the outcome kept, and that the done callback ran once.",
        hint: "Look at the state check in setResult and setException: only a pending future may be completed.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let runs = Locked(0)
                let finished = loop.createFuture(of: Int.self)
                finished.addDoneCallback { _ in runs.withLock { $0 += 1 } }
                try finished.setResult(1)
                ctx.expectThrows(.invalidState, "a second setResult") { try finished.setResult(2) }
                ctx.expectThrows(.invalidState, "setException after setResult") { try finished.setException(ProbeError("AFUT-006")) }
                ctx.expect(finished.state == .finished && (try? finished.result()) == 1,
                           "after refused completions the future holds \(String(describing: try? finished.result())) (\(finished.state)), not its first value 1")
                let cancelled = loop.createFuture(of: Int.self)
                cancelled.cancel()
                ctx.expectThrows(.invalidState, "setResult after cancel") { try cancelled.setResult(3) }
                ctx.expectThrows(.invalidState, "setException after cancel") { try cancelled.setException(ProbeError("AFUT-006")) }
                ctx.expect(cancelled.state == .cancelled, "a refused completion turned a cancelled future \(cancelled.state)")
                let error = ProbeError("AFUT-006 first")
                let failed = loop.createFuture(of: Int.self)
                try failed.setException(error)
                ctx.expectThrows(.invalidState, "setResult after setException") { try failed.setResult(4) }
                ctx.expect(((try? failed.exception()) as? ProbeError) === error, "a refused setResult replaced the stored error")
                try await loop.sleep(.zero)
                ctx.expect(runs.value == 1, "the done callback ran \(runs.value) times, want once")
            }
        }
    )

    static let afut007 = ClauseDefinition(
        id: "AFUT-007", contract: .loop, level: .must,
        statement: "Awaiting a pending loop future suspends only the awaiting task, which resumes as soon as the future is resolved with its value or its error.",
        source: "AIO-FUT; AIO-TASK awaitables",
        method: "Three rounds in a row: a side task is created, callLater(1 unit) resolves a future (a value, an error, a value), the main task awaits it; the side task must run meanwhile and each await must end when the timer fires.",
        timingRule: "each await spans exactly 1 unit of virtual time; in real time ≥ 1 unit − clock resolution and < 2 units",
        hint: "Look at how an awaiting task is woken: by the future's done callback, at once, not at a later tick.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let delay = ctx.units(1)
            do {
                try loop.runUntilComplete { () async throws in
                    for round in 0..<3 {
                        let log = Locked<[String]>([])
                        let future = loop.createFuture(of: Int.self)
                        let error = ProbeError("AFUT-007 round \(round)")
                        let side = try loop.createTask(name: "AFUT-007 side") { log.withLock { $0.append("side task") } }
                        let start = loop.time
                        try loop.callLater(delay) {
                            log.withLock { $0.append("resolved") }
                            if round == 1 { try? future.setException(error) } else { try? future.setResult(round) }
                        }
                        let outcome = await settle { try await future.value }
                        let span = loop.time - start
                        ctx.expectLoopSpan(span, units: 1, below: 2, resolution: loop.clockResolution,
                                           "round \(round): awaiting a future that a 1-unit timer resolves")
                        switch (round, outcome) {
                        case (1, .failure(let thrown)):
                            ctx.expect((thrown as? ProbeError) === error, "round 1: the await threw \(ctx.describe(thrown)), not the error the future was given")
                        case (1, .success(let value)):
                            ctx.fail("round 1: the await returned \(value) instead of throwing the future's error")
                        case (_, .success(let value)):
                            ctx.expect(value == round, "round \(round): the await returned \(value), want \(round)")
                        case (_, .failure(let thrown)):
                            ctx.fail("round \(round): the await threw \(ctx.describe(thrown)) instead of returning \(round)")
                        }
                        ctx.expect(log.value == ["side task", "resolved"],
                                   "round \(round): the loop logged \(log.value) while the main task awaited: the side task must run before the timer")
                        try await side.value
                    }
                }
            } catch {
                ctx.fail("the awaiting task threw \(ctx.describe(error))")
            }
        }
    )

    static let afut008 = ClauseDefinition(
        id: "AFUT-008", contract: .loop, level: .must,
        statement: "removeDoneCallback(key:) removes every callback registered under the key and returns how many it removed, zero for a key never used.",
        source: "AIO-FUT remove_done_callback",
        method: "Register key A twice, key B once and one callback without a key; remove an unused key, then A (twice); finish the future and see which callbacks run.",
        hint: "Look at removeDoneCallback: it must drop all registrations under the key, not the first one only.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Locked<[String]>([])
                let future = loop.createFuture(of: Int.self)
                let keyA = DoneCallbackKey(rawValue: "AFUT-008 A")
                let keyB = DoneCallbackKey(rawValue: "AFUT-008 B")
                future.addDoneCallback(key: keyA) { _ in log.withLock { $0.append("A1") } }
                future.addDoneCallback(key: keyB) { _ in log.withLock { $0.append("B") } }
                future.addDoneCallback(key: keyA) { _ in log.withLock { $0.append("A2") } }
                future.addDoneCallback { _ in log.withLock { $0.append("unkeyed") } }
                let unused = future.removeDoneCallback(key: DoneCallbackKey(rawValue: "AFUT-008 never used"))
                ctx.expect(unused == 0, "removing a key never registered returned \(unused), want 0")
                let removed = future.removeDoneCallback(key: keyA)
                ctx.expect(removed == 2, "removing a key registered twice returned \(removed), want 2")
                let again = future.removeDoneCallback(key: keyA)
                ctx.expect(again == 0, "removing the same key a second time returned \(again), want 0")
                try future.setResult(8)
                try await loop.sleep(.zero)
                ctx.expect(log.value == ["B", "unkeyed"], "after the removals the callbacks that ran were \(log.value), want [B, unkeyed]")
            }
        }
    )

    static let afut009 = ClauseDefinition(
        id: "AFUT-009", contract: .loop, level: .must,
        statement: "wrapFuture gives a distinct loop future that mirrors a concurrent future's value, error or cancellation, completed on the loop's thread.",
        source: "AIO-FUT wrap_future",
        method: "A real-time loop wraps a concurrent future that a thread completes 1 unit later; at that moment the loop is held in a callback, and a later callback of the concurrent future, on the completing thread, looks at the wrapper; the loop task awaits the wrapper and records where its done callback ran. Then an error and a cancellation from other threads.",
        timingRule: "the await returns ≥ 1 unit after the wrap (the source completes 1 unit later)",
        hint: "Look at wrapFuture's callback on the concurrent future: it must hand the outcome to the loop (callSoonThreadsafe), not complete the loop future on the thread that finished the source.",
        requires: [.eventLoop, .futures], timing: .realTime,
        check: .blocking { ctx in
            let loop = try ctx.makeRealTimeLoop()
            let delay = ctx.units(1)
            let patience = ctx.patience
            do {
                try loop.runUntilComplete { () async throws in
                    let loopThread = ThreadIdentity.current
                    let source = ctx.makeFuture(of: Int.self)
                    let started = ContinuousClock.now
                    let wrapper = loop.wrapFuture(source)
                    ctx.expect((wrapper as AnyObject) !== (source as AnyObject), "wrapFuture returned the concurrent future itself")
                    ctx.expect(wrapper.loop === loop, "the wrapper belongs to another loop")
                    ctx.expect(wrapper.state == .pending, "the wrapper of a pending concurrent future is \(wrapper.state)")
                    let callbackThread = Locked<ThreadIdentity?>(nil)
                    wrapper.addDoneCallback { _ in callbackThread.withLock { $0 = ThreadIdentity.current } }
                    let seenFromSource = Locked<FutureState?>(nil)
                    // Registered after wrapFuture's own callback, so it runs
                    // after it, on the completing thread.
                    source.addDoneCallback { _ in seenFromSource.withLock { $0 = wrapper.state } }
                    let holding = Latch(count: 1)
                    let release = Latch(count: 1)
                    ctx.spawn("AFUT-009 completer") {
                        Thread.sleep(forTimeInterval: delay.seconds)
                        // Hold the loop's thread in a callback, so that only
                        // a completion off the loop can reach the wrapper now.
                        try loop.callSoonThreadsafe {
                            holding.arrive()
                            release.wait(timeout: patience)
                        }
                        if !holding.wait(timeout: patience) {
                            ctx.fail("the loop did not run a callSoonThreadsafe callback within \(patience)")
                        }
                        try source.setResult(9)
                        release.arrive()
                    }
                    let value = try await loop.waitFor(wrapper, timeout: patience)
                    ctx.expectAtLeast(ContinuousClock.now - started, delay, "awaiting the wrapper of a source completed 1 unit later")
                    ctx.expect(value == 9, "the wrapper gave \(value), not the source's 9")
                    let seen = seenFromSource.value
                    ctx.expect(seen == .pending,
                               "while the loop's thread was held, the completing thread saw the wrapper \(seen.map { "\($0)" } ?? "never"): it must stay pending until the loop completes it")
                    try await loop.sleep(.zero)
                    let thread = callbackThread.value
                    ctx.expect(thread == loopThread,
                               "the wrapper's done callback ran on \(thread.map { "\($0)" } ?? "no thread"), not on the loop's \(loopThread)")

                    let failing = ctx.makeFuture(of: Int.self)
                    let failingWrapper = loop.wrapFuture(failing)
                    let error = ProbeError("AFUT-009")
                    ctx.spawn("AFUT-009 failer") { try failing.setException(error) }
                    await ctx.expectRethrows(error, "awaiting the wrapper of a failed concurrent future") {
                        try await loop.waitFor(failingWrapper, timeout: patience)
                    }

                    let dropped = ctx.makeFuture(of: Int.self)
                    let droppedWrapper = loop.wrapFuture(dropped)
                    ctx.spawn("AFUT-009 canceller") { _ = dropped.cancel() }
                    let outcome = await settle { try await loop.waitFor(droppedWrapper, timeout: patience) }
                    if case .failure(let thrown) = outcome, thrown.isCancellation {
                        ctx.expect(droppedWrapper.isCancelled, "the wrapper of a cancelled concurrent future threw cancelled but is \(droppedWrapper.state)")
                    } else {
                        ctx.fail("awaiting the wrapper of a cancelled concurrent future gave \(outcome), want a cancelled error")
                    }
                }
            } catch {
                ctx.fail("the loop task threw \(ctx.describe(error))")
            }
        }
    )

    static let afut010 = ClauseDefinition(
        id: "AFUT-010", contract: .loop, level: .must,
        statement: "A task that awaits a pending future of another loop gets differentLoop thrown at the await, and the foreign future is left as it was.",
        source: "CPython tasks.py Task.__step ('Task got Future attached to a different loop'); AIO-FUT",
        method: "Two loops: a task of loop B awaits a pending future of loop A; loop B waits for the task with loop.wait and a timeout.",
        hint: "Look at the await of a loop future: it must compare the future's loop with the running one before suspending.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let home = try ctx.makeLoop()
            let foreign = home.createFuture(of: Int.self)
            _ = try ctx.runOnLoop { loop in
                let awaiter = try loop.createTask(name: "AFUT-010 awaiter") { () async -> String in
                    do {
                        let value = try await foreign.value
                        return "returned \(value)"
                    } catch let error as ConcurrencyError where error.kind == .differentLoop {
                        return "differentLoop"
                    } catch {
                        return "threw \(ctx.describe(error))"
                    }
                }
                let split = try await loop.wait([awaiter], timeout: ctx.patience, returnWhen: .allCompleted)
                guard split.pending.isEmpty else {
                    ctx.fail("a task awaiting a future of another loop was still waiting after \(ctx.patience): the await was accepted")
                    return
                }
                let seen = try awaiter.result()
                ctx.expect(seen == "differentLoop", "awaiting a future of another loop \(seen), want differentLoop")
                ctx.expect(foreign.state == .pending, "the foreign future is \(foreign.state) after the refused await, want pending")
            }
        }
    )

    // MARK: WAIT

    static let wait010 = ClauseDefinition(
        id: "WAIT-010", contract: .loop, level: .must,
        statement: "The loop's wait with a timeout returns the done and pending futures once the timeout passes, without throwing and without cancelling the pending ones, which go on to finish.",
        source: "AIO-TASK wait ('Unlike wait_for(), wait() does not cancel')",
        method: "Tasks sleeping 0.5 and 5 units; wait for both with a 2-unit timeout; then check the slow task is not cancelled and await it.",
        timingRule: "wait returns after exactly 2 units of virtual time (real: ≥ 2 units − clock resolution, < 4 units); the slow task ends at exactly 5 units (real: ≥ 5 − resolution, < 7)",
        hint: "Look at what wait does when its timeout fires: partition and return, nothing else.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            do {
                try loop.runUntilComplete { () async throws in
                    let start = loop.time
                    let tasks = [try sleeper(ctx, on: loop, units: 0.5, returning: 0), try sleeper(ctx, on: loop, units: 5, returning: 1)]
                    let outcome = await settle { try await loop.wait(tasks, timeout: ctx.units(2), returnWhen: .allCompleted) }
                    ctx.expectLoopSpan(loop.time - start, units: 2, below: 4, resolution: loop.clockResolution, "wait with a 2-unit timeout")
                    switch outcome {
                    case .success(let split):
                        let done = positions(split.done, in: tasks)
                        let pending = positions(split.pending, in: tasks)
                        ctx.expect(done == [0] && pending == [1], "wait gave done \(done) and pending \(pending), want [0] and [1]")
                    case .failure(let error):
                        ctx.fail("wait with a timeout threw \(ctx.describe(error)) instead of returning")
                    }
                    ctx.expect(!tasks[1].isCancelled, "wait cancelled the task it left pending")
                    try await loop.sleep(.zero)
                    ctx.expect(!tasks[1].isDone, "one iteration after wait returned, the task it left pending was already \(tasks[1].state), 3 units before its sleep ends")
                    let slow = await settle { try await tasks[1].value }
                    ctx.expect((try? slow.get()) == 1, "the task wait left pending ended with \(slow), not its value 1")
                    ctx.expectLoopSpan(loop.time - start, units: 5, below: 7, resolution: loop.clockResolution, "the task wait left pending")
                }
            } catch {
                ctx.fail("the waiting task threw \(ctx.describe(error))")
            }
        }
    )

    static let wait011 = ClauseDefinition(
        id: "WAIT-011", contract: .loop, level: .must,
        statement: "The loop's wait with firstCompleted returns once any future is done, and with firstException once one fails or, when none fails, once all are done.",
        source: "AIO-TASK wait",
        method: "firstCompleted over tasks of 1, 3 and 5 units; firstException over a task that throws at 1 unit and two of 4 units; firstException over tasks of 0.5, 1 and 1.5 units that all succeed.",
        timingRule: "the waits return after exactly 1, 1 and 1.5 units of virtual time (real: ≥ that − clock resolution and < 2 units more)",
        hint: "Look at wait's return condition: firstCompleted returns on the first future done, firstException on the first error or when all are done.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            do {
                try loop.runUntilComplete { () async throws in
                    var start = loop.time
                    let racers = try [1.0, 3, 5].enumerated().map { index, units in try sleeper(ctx, on: loop, units: units, returning: index) }
                    let first = try await loop.wait(racers, timeout: nil, returnWhen: .firstCompleted)
                    ctx.expectLoopSpan(loop.time - start, units: 1, below: 3, resolution: loop.clockResolution, "wait(firstCompleted) over 1, 3 and 5 units")
                    ctx.expect(positions(first.done, in: racers) == [0] && positions(first.pending, in: racers) == [1, 2],
                               "wait(firstCompleted) gave done \(positions(first.done, in: racers)) and pending \(positions(first.pending, in: racers)), want [0] and [1, 2]")
                    await dismiss(racers)

                    start = loop.time
                    let unit = ctx.units(1)
                    let failing = try loop.createTask(name: "WAIT-011 failing") { () async throws -> Int in
                        try await loop.sleep(unit)
                        throw ProbeError("WAIT-011")
                    }
                    let mixed = [failing] + (try (1...2).map { try sleeper(ctx, on: loop, units: 4, returning: $0) })
                    let firstError = try await loop.wait(mixed, timeout: nil, returnWhen: .firstException)
                    ctx.expectLoopSpan(loop.time - start, units: 1, below: 3, resolution: loop.clockResolution, "wait(firstException) with a failure at 1 unit")
                    ctx.expect(positions(firstError.done, in: mixed) == [0] && positions(firstError.pending, in: mixed) == [1, 2],
                               "wait(firstException) gave done \(positions(firstError.done, in: mixed)) and pending \(positions(firstError.pending, in: mixed)), want [0] and [1, 2]")
                    await dismiss(mixed)

                    start = loop.time
                    let fine = try [0.5, 1, 1.5].enumerated().map { index, units in try sleeper(ctx, on: loop, units: units, returning: index) }
                    let all = try await loop.wait(fine, timeout: nil, returnWhen: .firstException)
                    ctx.expectLoopSpan(loop.time - start, units: 1.5, below: 3.5, resolution: loop.clockResolution, "wait(firstException) without failures")
                    ctx.expect(all.done.count == 3 && all.pending.isEmpty,
                               "wait(firstException) without failures gave \(all.done.count) done and \(all.pending.count) pending, want 3 and 0")
                }
            } catch {
                ctx.fail("the waiting task threw \(ctx.describe(error))")
            }
        }
    )

    static let wait012 = ClauseDefinition(
        id: "WAIT-012", contract: .loop, level: .must,
        statement: "The loop's wait refuses an empty list of futures with invalidArgument, whatever the return condition and timeout.",
        source: "AIO-TASK wait (3.11 change)",
        method: "Await wait([]) with each return condition, with a 4-unit timeout and without one. Python also rejects bare coroutines with TypeError; wait takes loop futures only, so the type system already forbids that and nothing is checked.",
        hint: "Look at the start of wait: an empty input is an error, not an empty result.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let none: [any LoopFuture<Int>] = []
                for returnWhen in ReturnWhen.allCases {
                    await ctx.expectThrows(.invalidArgument, "wait([], timeout: 4 units, returnWhen: \(returnWhen))") {
                        try await loop.wait(none, timeout: ctx.units(4), returnWhen: returnWhen)
                    }
                }
                // Without a timeout a wait that accepts [] may never return;
                // run it in a task and give up on it after a while.
                let untimed = try loop.createTask(name: "WAIT-012 untimed") { () async -> String in
                    do {
                        let split = try await loop.wait(none, timeout: nil, returnWhen: .allCompleted)
                        return "returned \(split.done.count) done and \(split.pending.count) pending"
                    } catch let error as ConcurrencyError where error.kind == .invalidArgument {
                        return "invalidArgument"
                    } catch {
                        return "threw \(ctx.describe(error))"
                    }
                }
                let split = try await loop.wait([untimed], timeout: ctx.units(4), returnWhen: .allCompleted)
                if split.pending.isEmpty {
                    let seen = try untimed.result()
                    ctx.expect(seen == "invalidArgument", "wait([]) without a timeout \(seen), want invalidArgument")
                } else {
                    ctx.fail("wait([]) without a timeout was still waiting after 4 units instead of throwing invalidArgument")
                    untimed.cancel()
                    _ = try? await untimed.value
                }
            }
        }
    )

    // MARK: ASC

    static let asc007 = ClauseDefinition(
        id: "ASC-007", contract: .loop, level: .must,
        statement: "The loop's asCompleted hands out the futures in the order they complete, each done when it is handed out.",
        source: "AIO-TASK as_completed",
        method: "Tasks sleeping 6, 2 and 4 units return their index; iterate asCompleted over them with for try await, noting the loop time of each future.",
        timingRule: "futures come out after exactly 2, 4 and 6 units of virtual time (real: ≥ that − clock resolution and < 1.5 units more)",
        hint: "Look at the order asCompleted yields in: first completed, first out, whatever the input order.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            do {
                try loop.runUntilComplete { () async throws in
                    let start = loop.time
                    let durations = [6.0, 2, 4]
                    let tasks = try durations.enumerated().map { index, units in try sleeper(ctx, on: loop, units: units, returning: index) }
                    var order: [Int] = []
                    for try await future in loop.asCompleted(tasks, timeout: ctx.patience) {
                        let span = loop.time - start
                        ctx.expect(future.isDone, "asCompleted handed out a future that is \(future.state)")
                        let value = (try? future.result()) ?? -1
                        order.append(value)
                        let due = durations.indices.contains(value) ? durations[value] : 0
                        ctx.expectLoopSpan(span, units: due, below: due + 1.5, resolution: loop.clockResolution,
                                           "handing out the task that sleeps \(due) units")
                    }
                    ctx.expect(order == [1, 2, 0], "asCompleted handed out the tasks in the order \(order), want [1, 2, 0]")
                }
            } catch {
                ctx.fail("the iterating task threw \(ctx.describe(error))")
            }
        }
    )

    static let asc008 = ClauseDefinition(
        id: "ASC-008", contract: .loop, level: .must,
        statement: "With a timeout, the loop's asCompleted throws timeout from the next await once that timeout has passed since the call with futures still pending.",
        source: "AIO-TASK as_completed",
        method: "Tasks sleeping 0.5 and 10 units; asCompleted with a 2-unit timeout must hand out the fast one, then throw timeout(unfinished: 1).",
        timingRule: "the timeout is thrown after exactly 2 units of virtual time (real: ≥ 2 units − clock resolution and < 4 units; the slow task needs 10)",
        hint: "Look at how asCompleted keeps its deadline: it counts from the call and ends the iteration with a timeout error.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            do {
                try loop.runUntilComplete { () async throws in
                    let start = loop.time
                    let tasks = [try sleeper(ctx, on: loop, units: 0.5, returning: 0), try sleeper(ctx, on: loop, units: 10, returning: 1)]
                    var yielded: [Int] = []
                    var thrown: (any Error)?
                    do {
                        for try await future in loop.asCompleted(tasks, timeout: ctx.units(2)) {
                            yielded.append((try? future.result()) ?? -1)
                        }
                    } catch {
                        thrown = error
                    }
                    let span = loop.time - start
                    ctx.expect(yielded == [0], "asCompleted handed out \(yielded) before its timeout, want [0]")
                    if let thrown {
                        ctx.expect((thrown as? ConcurrencyError) == .timeout(unfinished: 1),
                                   "asCompleted threw \(ctx.describe(thrown)), want timeout(unfinished: 1)")
                        ctx.expectLoopSpan(span, units: 2, below: 4, resolution: loop.clockResolution, "asCompleted with a 2-unit timeout")
                    } else {
                        ctx.fail("asCompleted with a 2-unit timeout ended \(span) after the call without throwing timeout")
                    }
                    await dismiss(tasks)
                }
            } catch {
                ctx.fail("the iterating task threw \(ctx.describe(error))")
            }
        }
    )
}

import ConcurrencySpec
import Foundation

/// A log that callbacks and task bodies append to from the loop.
typealias EventLog = Locked<[String]>

extension Locked<[String]> {
    convenience init() { self.init([]) }
    func add(_ entry: String) { withLock { $0.append(entry) } }
    var all: [String] { withLock { $0 } }
}

extension CheckContext {
    /// Runs `loop` until a callback scheduled after everything queued so far
    /// stops it; errors are failures.
    func runBatch(_ loop: any EventLoop, fileID: String = #fileID, line: Int = #line) {
        do {
            try loop.runForever()
        } catch {
            fail("runForever threw \(describe(error))", fileID: fileID, line: line)
        }
    }
}

/// Blocks the calling thread, on purpose: the point of the clauses that
/// call it from a task is that this stalls the whole loop.
func blockThread(for duration: Duration) {
    Thread.sleep(forTimeInterval: duration.seconds)
}

/// The LOOP group: callbacks, timers, run / stop / close, sleep, and the
/// bridges between the loop and threads.
enum LoopClauses {
    static let all: [ClauseDefinition] = [
        loop001, loop002, loop003, loop004, loop005, loop007, loop008, loop009, loop010, loop011,
        loop012, loop013, loop014, loop015, loop016, loop017, loop018, loop020, loop021, loop022,
        loop023, loop024,
    ]

    static let loop001 = ClauseDefinition(
        id: "LOOP-001", contract: .loop, level: .must,
        statement: "callSoon callbacks run in the order they were scheduled, each exactly once.",
        source: "AIO-LOOP call_soon",
        method: "Schedule five callbacks and a sixth that stops the loop; runForever.",
        hint: "Look at the ready queue: it must be first in, first out.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            for index in 1...5 { try loop.callSoon { log.add("s\(index)") } }
            try loop.callSoon { loop.stop() }
            ctx.runBatch(loop)
            ctx.expect(log.all == ["s1", "s2", "s3", "s4", "s5"], "callbacks ran as \(log.all)")
        }
    )

    static let loop002 = ClauseDefinition(
        id: "LOOP-002", contract: .loop, level: .must,
        statement: "A callback scheduled by a running callback runs on a later iteration, after every callback already queued.",
        source: "AIO-LOOP run_forever; CPython base_events.py _run_once",
        method: "s1 schedules a nested callback, s2 stops the loop, s3 follows: the first run logs s1 s2 s3 only; a second run then runs the nested one.",
        hint: "Look at how many entries an iteration runs: only those ready when it began.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            try loop.callSoon {
                log.add("s1")
                try loop.callSoon { log.add("nested") }
            }
            try loop.callSoon {
                log.add("s2")
                loop.stop()
            }
            try loop.callSoon { log.add("s3") }
            ctx.runBatch(loop)
            ctx.expect(log.all == ["s1", "s2", "s3"], "the first iteration ran \(log.all); the nested callback belongs to the next one")
            try loop.callSoon { loop.stop() }
            ctx.runBatch(loop)
            ctx.expect(log.all == ["s1", "s2", "s3", "nested"], "after a second run the log is \(log.all)")
        }
    )

    static let loop003 = ClauseDefinition(
        id: "LOOP-003", contract: .loop, level: .must,
        statement: "Timers run in the order of their deadlines, whatever order they were scheduled in.",
        source: "AIO-LOOP call_later",
        method: "callLater with delays of 3, 1, 2 and 0 units, scheduled in that order.",
        timingRule: "order only; deadlines 1 unit apart",
        hint: "Look at the timer heap's ordering.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            for delay in [3.0, 1, 2, 0] {
                try loop.callLater(ctx.units(delay)) {
                    log.add("\(Int(delay))")
                    if delay == 3 { loop.stop() }
                }
            }
            ctx.runBatch(loop)
            ctx.expect(log.all == ["0", "1", "2", "3"], "timers ran as \(log.all)")
        }
    )

    static let loop004 = ClauseDefinition(
        id: "LOOP-004", contract: .loop, level: .should,
        statement: "Timers with exactly equal deadlines run in the order they were scheduled (CPython leaves this order undefined, so no CPython trace pins it).",
        source: "AIO-LOOP call_at ('undefined' order) vs the kit's brief; CLAUSES Appendix C",
        method: "Twelve callAt with the same loop time.",
        hint: "Break deadline ties with a scheduling sequence number.",
        requires: [.eventLoop], variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            let when = loop.time + ctx.units(0.5)
            for index in 0..<12 {
                try loop.callAt(when) {
                    log.add("\(index)")
                    if index == 11 { loop.stop() }
                }
            }
            ctx.runBatch(loop)
            ctx.expect(log.all == (0..<12).map(String.init), "equal deadlines ran as \(log.all)")
        }
    )

    static let loop005 = ClauseDefinition(
        id: "LOOP-005", contract: .loop, level: .must,
        statement: "A timer never fires before its deadline less one clock resolution, and in virtual time fires exactly at it.",
        source: "AIO-LOOP call_later ('never earlier than')",
        method: "callLater(1 unit) records the loop time when it fires.",
        timingRule: "virtual: exactly 1 unit; real: ≥ 1 unit − resolution, < 2 units",
        hint: "Look at the deadline the loop compares against, and at how it waits.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let fired = Locked<Duration?>(nil)
            let start = loop.time
            try loop.callLater(ctx.units(1)) {
                fired.withLock { $0 = loop.time }
                loop.stop()
            }
            ctx.runBatch(loop)
            guard let firedAt = fired.withLock({ $0 }) else { return ctx.fail("the timer never fired") }
            ctx.expectLoopSpan(firedAt - start, units: 1, below: 2, resolution: loop.clockResolution, "a 1-unit timer")
        }
    )

    static let loop007 = ClauseDefinition(
        id: "LOOP-007", contract: .loop, level: .must,
        statement: "Cancelling a handle before its callback runs prevents the callback, and the handle reports itself cancelled.",
        source: "AIO-LOOP Handle.cancel",
        method: "Cancel a callSoon handle and a callLater handle, then run past both.",
        hint: "Look at whether the loop checks a handle's cancellation before running it.",
        requires: [.eventLoop], variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            let soon = try loop.callSoon { log.add("soon") }
            let later = try loop.callLater(ctx.units(0.5)) { log.add("later") }
            soon.cancel()
            later.cancel()
            try loop.callLater(ctx.units(1)) { loop.stop() }
            ctx.runBatch(loop)
            ctx.expect(log.all.isEmpty, "cancelled callbacks ran: \(log.all)")
            ctx.expect(soon.isCancelled && later.isCancelled, "the handles report cancelled = \(soon.isCancelled), \(later.isCancelled)")
        }
    )

    static let loop008 = ClauseDefinition(
        id: "LOOP-008", contract: .loop, level: .must,
        statement: "Loop time never decreases, and it is the clock that callAt measures deadlines on.",
        source: "AIO-LOOP loop.time",
        method: "Read the time 2,000 times across callbacks and short timers; callAt(time + 1 unit) fires at a reading ≥ its deadline less one resolution.",
        timingRule: "no span is bounded; consecutive readings never decrease",
        hint: "Look at the clock behind `time`: it must be monotonic.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let readings = Locked<[Duration]>([])
            let firedAt = Locked<Duration?>(nil)
            let deadline = loop.time + ctx.units(1)
            try loop.callAt(deadline) { firedAt.withLock { $0 = loop.time } }
            _ = try ctx.runOnLoop(loop) { _ in
                for index in 0..<200 {
                    readings.withLock { readings in
                        for _ in 0..<10 { readings.append(loop.time) }
                    }
                    try await loop.sleep(index.isMultiple(of: 20) ? ctx.units(0.15) : .zero)
                }
            }
            let all = readings.withLock { $0 }
            let backwards = zip(all, all.dropFirst()).filter { $0 > $1 }.count
            ctx.expect(backwards == 0, "loop time went backwards \(backwards) times in \(all.count) readings")
            if let fired = firedAt.withLock({ $0 }) {
                ctx.expect(fired >= deadline - loop.clockResolution, "callAt(\(deadline)) fired at loop time \(fired)")
            } else {
                ctx.fail("callAt never fired")
            }
        }
    )

    static let loop009 = ClauseDefinition(
        id: "LOOP-009", contract: .loop, level: .must,
        statement: "runUntilComplete runs the loop until its task is done, returns the result or throws the error, and leaves the loop stopped but open.",
        source: "AIO-LOOP run_until_complete; SEED §asyncio (the Python < 3.7 idiom)",
        method: "Run a body returning 42, then one throwing a custom error, on the same loop; check isRunning and isClosed after each.",
        hint: "Look at what runUntilComplete does once the future is done.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            struct Lookup: Error {}
            let loop = try ctx.makeLoop()
            let value = ctx.expectNoThrow("runUntilComplete of a body returning 42") {
                try loop.runUntilComplete { () async throws -> Int in
                    try await loop.sleep(.zero)
                    return 42
                }
            }
            ctx.expect(value == 42, "runUntilComplete returned \(String(describing: value))")
            ctx.expect(!loop.isRunning && !loop.isClosed, "after runUntilComplete: running \(loop.isRunning), closed \(loop.isClosed)")
            do {
                _ = try loop.runUntilComplete { () async throws -> Int in throw Lookup() }
                ctx.fail("runUntilComplete of a throwing body returned")
            } catch is Lookup {
            } catch {
                ctx.fail("runUntilComplete threw \(ctx.describe(error)), not the body's error")
            }
            ctx.expect(!loop.isRunning && !loop.isClosed, "after a failed body: running \(loop.isRunning), closed \(loop.isClosed)")
        }
    )

    static let loop010 = ClauseDefinition(
        id: "LOOP-010", contract: .loop, level: .must,
        statement: "Starting a loop while a loop already runs on the same thread fails with loopRunning, whether it is the same loop or another.",
        source: "AIO-LOOP run_forever; AIO-RUNNER ('cannot be called when another asyncio event loop is running')",
        method: "From a task of a running loop: runUntilComplete on the same loop, and on a second loop with a finished future.",
        hint: "Keep a per-thread record of the running loop.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let second = try ctx.makeLoop()
            let ready = second.createFuture(of: Int.self)
            try ready.setResult(1)
            let kinds = try ctx.runOnLoop { loop -> [String] in
                var kinds: [String] = []
                for (name, target) in [("same loop", loop), ("second loop", second)] {
                    do {
                        let future = target === loop ? loop.createFuture(of: Int.self) : ready
                        _ = try target.runUntilComplete(future)
                        kinds.append("\(name): ran")
                    } catch let error as ConcurrencyError {
                        kinds.append("\(name): \(error.kind)")
                    }
                }
                return kinds
            } ?? []
            ctx.expect(kinds == ["same loop: loopRunning", "second loop: loopRunning"], "nested runs gave \(kinds)")
        }
    )

    static let loop011 = ClauseDefinition(
        id: "LOOP-011", contract: .loop, level: .must,
        statement: "stop() lets the current iteration finish and leaves the callbacks it scheduled for the next run; stop() before runForever makes that run one iteration long.",
        source: "AIO-LOOP run_forever / stop",
        method: "s1 stops the loop and schedules n1, s2 follows: the run logs s1 s2; then stop() and runForever run exactly n1.",
        hint: "Check the stop flag only between iterations.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            try loop.callSoon {
                log.add("s1")
                loop.stop()
                try loop.callSoon {
                    log.add("n1")
                    try loop.callSoon { log.add("n2") }
                }
            }
            try loop.callSoon { log.add("s2") }
            ctx.runBatch(loop)
            ctx.expect(log.all == ["s1", "s2"], "the stopped run logged \(log.all)")
            loop.stop()
            ctx.runBatch(loop)
            ctx.expect(log.all == ["s1", "s2", "n1"], "stop() then runForever logged \(log.all): one iteration")
        }
    )

    static let loop012 = ClauseDefinition(
        id: "LOOP-012", contract: .loop, level: .must,
        statement: "close() fails with loopRunning on a running loop, is idempotent otherwise, and afterwards callSoon, callLater, createTask and runForever fail with loopClosed.",
        source: "AIO-LOOP close",
        method: "close() from a callback; then close twice after the run; then schedule and run.",
        hint: "Look at close's state checks and at the closed checks of each entry point.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let inside = Locked<String>("not called")
            try loop.callSoon {
                do {
                    try loop.close()
                    inside.withLock { $0 = "succeeded" }
                } catch let error as ConcurrencyError {
                    inside.withLock { $0 = "\(error.kind)" }
                }
                loop.stop()
            }
            ctx.runBatch(loop)
            ctx.expect(inside.withLock { $0 } == "loopRunning", "close() on the running loop: \(inside.withLock { $0 })")
            ctx.expect(!loop.isClosed, "a refused close() closed the loop")
            ctx.expectNoThrow("close()") { try loop.close() }
            ctx.expectNoThrow("a second close()") { try loop.close() }
            ctx.expect(loop.isClosed, "isClosed is false after close()")
            _ = ctx.expectThrows(.loopClosed, "callSoon after close") { try loop.callSoon {} }
            _ = ctx.expectThrows(.loopClosed, "callLater after close") { try loop.callLater(.zero) {} }
            _ = ctx.expectThrows(.loopClosed, "createTask after close") { try loop.createTask { 1 } }
            _ = ctx.expectThrows(.loopClosed, "runForever after close") { try loop.runForever() }
        }
    )

    static let loop013 = ClauseDefinition(
        id: "LOOP-013", contract: .loop, level: .must,
        statement: "sleep(.zero) yields exactly one iteration: callbacks queued before it run, those they schedule do not, and two tasks alternating with it interleave strictly.",
        source: "AIO-TASK sleep ('sleep(0) … yield')",
        method: "callSoon(X), where X schedules Y, then sleep(.zero): X has run, Y has not; then two tickers A and B of three steps each under gather.",
        hint: "sleep(.zero) must suspend and re-queue the task at the back of the ready queue.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let log = EventLog()
            let seen = try ctx.runOnLoop { loop -> [String] in
                try loop.callSoon {
                    log.add("X")
                    try loop.callSoon { log.add("Y") }
                }
                try await loop.sleep(.zero)
                let afterOne = log.all
                let tickers = try ["A", "B"].map { label in
                    try loop.createTask(name: label) {
                        for step in 0..<3 {
                            log.add(label + String(step))
                            try await loop.sleep(.zero)
                        }
                    }
                }
                _ = try await loop.waitFor(loop.gather(tickers), timeout: ctx.patience)
                return afterOne
            }
            ctx.expect(seen == ["X"], "after one sleep(.zero) the log was \(seen ?? []), not [X]")
            let ticks = log.all.filter { $0.count == 2 }
            ctx.expect(ticks == ["A0", "B0", "A1", "B1", "A2", "B2"], "two tickers ran as \(ticks)")
        }
    )

    static let loop014 = ClauseDefinition(
        id: "LOOP-014", contract: .loop, level: .must,
        statement: "sleep(d) suspends only the calling task, for at least d, while other tasks and callbacks keep running.",
        source: "AIO-TASK sleep; SEED §asyncio",
        method: "A ticker task sleeps 0.1 unit per tick while the main task sleeps 1 unit.",
        timingRule: "virtual: exactly 1 unit; real: ≥ 1 unit − resolution, < 2 units; ≥ 3 ticks meanwhile",
        hint: "sleep must suspend on a timer, not block the loop's thread.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let ticks = Locked(0)
            let result = try ctx.runOnLoop { loop -> (Duration, Int, Duration) in
                let ticker = try loop.createTask {
                    while true {
                        try await loop.sleep(ctx.units(0.1))
                        ticks.withLock { $0 += 1 }
                    }
                }
                try await loop.sleep(.zero)
                let start = loop.time
                try await loop.sleep(ctx.units(1))
                let span = loop.time - start
                let counted = ticks.withLock { $0 }
                ticker.cancel()
                return (span, counted, loop.clockResolution)
            }
            guard let (span, counted, resolution) = result else { return }
            ctx.expectLoopSpan(span, units: 1, below: 2, resolution: resolution, "sleep(1 unit)")
            ctx.expect(counted >= 3, "the ticker ticked \(counted) times during the 1-unit sleep, not ≥ 3")
        }
    )

    static let loop015 = ClauseDefinition(
        id: "LOOP-015", contract: .loop, level: .must,
        statement: "An async body handed to the loop runs only once the loop runs it: its first line already sees the loop running, and createTask from outside a running loop runs none of it.",
        source: "SEED §asyncio (coro = my_sleep_coroutine(…); asyncio.run(coro))",
        method: "createTask on an idle loop from the check's thread, whose first line records isRunning; check the record before and after runUntilComplete.",
        hint: "createTask must only schedule the body's first step.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let sawRunning = Locked<Bool?>(nil)
            let task = try loop.createTask { () async throws -> Int in
                sawRunning.withLock { $0 = loop.isRunning }
                try await loop.sleep(.zero)
                return 1
            }
            ctx.expect(sawRunning.withLock { $0 } == nil, "the body ran inside createTask, before the loop ran")
            _ = ctx.expectNoThrow("runUntilComplete") { try loop.runUntilComplete(task) }
            ctx.expect(sawRunning.withLock { $0 } == true, "the body's first line saw isRunning = \(String(describing: sawRunning.withLock { $0 }))")
        }
    )

    static let loop016 = ClauseDefinition(
        id: "LOOP-016", contract: .loop, level: .must,
        statement: "Blocking work inside a task blocks the whole loop: two tasks that each block for 1 unit take at least 2 units together, which is why the seed's advice to wrap blocking code in ensure_future is wrong.",
        source: "SEED §Working with modules NOT based on asyncio; CLAUSES Appendix B #2",
        method: "Two tasks each blocking their thread for 1 unit (Thread.sleep), gathered, in real time.",
        timingRule: "total ≥ 2 units (serial), measured on the wall clock",
        hint: "Task bodies must run one at a time on the loop's thread.",
        requires: [.eventLoop], timing: .realTime,
        check: .blocking { ctx in
            let loop = try ctx.makeRealTimeLoop()
            let pause = ctx.units(1)
            let threads = Locked<Set<ThreadIdentity>>([])
            let (_, elapsed) = ctx.measure {
                ctx.expectNoThrow("gathering two blocking tasks") {
                    try loop.runUntilComplete { () async throws -> [Void] in
                        let blockers = try (0..<2).map { _ in
                            try loop.createTask {
                                threads.withLock { _ = $0.insert(ThreadIdentity.current) }
                                blockThread(for: pause)
                            }
                        }
                        return try await loop.gather(blockers).value
                    }
                }
            }
            ctx.expectAtLeast(elapsed, ctx.units(2), "two 1-unit blocking tasks")
            ctx.expect(threads.withLock { $0.count } == 1, "the task bodies ran on \(threads.withLock { $0.count }) threads, not one")
        }
    )

    static let loop017 = ClauseDefinition(
        id: "LOOP-017", contract: .loop, level: .must,
        statement: "runInExecutor runs a blocking job on a thread pool and returns a loop future at once, so two such jobs overlap and the loop keeps serving other tasks meanwhile.",
        source: "AIO-LOOP run_in_executor; AIO-TASK to_thread",
        method: "Two 1-unit blocking jobs through runInExecutor(nil), gathered, while a ticker task ticks every 0.1 unit.",
        timingRule: "total ≥ 1 unit and < 1.5 units (overlap), ≥ 3 ticks meanwhile",
        hint: "runInExecutor must submit the job and wrap its future, never run it inline.",
        requires: [.eventLoop], timing: .realTime,
        check: .blocking { ctx in
            let loop = try ctx.makeRealTimeLoop()
            let pause = ctx.units(1)
            let ticks = Locked(0)
            let (_, elapsed) = ctx.measure {
                ctx.expectNoThrow("gathering two runInExecutor jobs") {
                    try loop.runUntilComplete { () async throws -> [Void] in
                        let ticker = try loop.createTask {
                            while true {
                                try await loop.sleep(ctx.units(0.1))
                                ticks.withLock { $0 += 1 }
                            }
                        }
                        defer { ticker.cancel() }
                        let jobs = try (0..<2).map { _ in
                            try loop.runInExecutor(nil) { Thread.sleep(forTimeInterval: pause.seconds) }
                        }
                        return try await loop.waitFor(loop.gather(jobs), timeout: ctx.patience)
                    }
                }
            }
            ctx.expectAtLeast(elapsed, ctx.units(1), "two 1-unit jobs in the executor")
            ctx.expectBelow(elapsed, ctx.units(1.5), "two 1-unit jobs in the executor")
            ctx.expect(ticks.withLock { $0 } >= 3, "the ticker ticked \(ticks.withLock { $0 }) times while the jobs ran, not ≥ 3")
        }
    )

    static let loop018 = ClauseDefinition(
        id: "LOOP-018", contract: .loop, level: .must,
        statement: "callSoonThreadsafe from another thread queues the callback and wakes an idle loop promptly.",
        source: "AIO-LOOP call_soon_threadsafe",
        method: "A thread sleeps 1 unit, then callSoonThreadsafe sets a loop future the main task awaits.",
        timingRule: "resumed ≥ 1 unit and < 2 units after the thread started",
        hint: "callSoonThreadsafe must signal the loop's wait.",
        requires: [.eventLoop], timing: .realTime,
        check: .blocking { ctx in
            let loop = try ctx.makeRealTimeLoop()
            let pause = ctx.units(1)
            let (value, elapsed) = ctx.measure {
                ctx.expectNoThrow("awaiting a future set from another thread") {
                    try loop.runUntilComplete { () async throws -> Int in
                        let future = loop.createFuture(of: Int.self)
                        ctx.spawn("setter") {
                            Thread.sleep(forTimeInterval: pause.seconds)
                            try loop.callSoonThreadsafe { try? future.setResult(7) }
                        }
                        return try await loop.waitFor(future, timeout: ctx.patience)
                    }
                }
            }
            ctx.expect(value == 7, "the awaited future gave \(String(describing: value))")
            ctx.expectAtLeast(elapsed, ctx.units(1), "a wake-up from a thread after 1 unit")
            ctx.expectBelow(elapsed, ctx.units(2), "a wake-up from a thread after 1 unit")
        }
    )

    static let loop020 = ClauseDefinition(
        id: "LOOP-020", contract: .loop, level: .should,
        statement: "A negative delay given to callLater or sleep is refused with invalidArgument (CPython treats it as zero; in Swift a negative Duration is taken for a bug).",
        source: "Issue 4 (bad input); AIO-LOOP call_later",
        method: "callLater(−1 unit) and, inside a task, sleep(−1 unit).",
        hint: "Validate the delay before scheduling.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            _ = ctx.expectThrows(.invalidArgument, "callLater with a negative delay") {
                try loop.callLater(ctx.units(-1)) {}
            }
            let thrown = try ctx.runOnLoop(loop) { _ async throws -> String in
                do {
                    try await loop.sleep(ctx.units(-1))
                    return "returned"
                } catch let error as ConcurrencyError {
                    return "\(error.kind)"
                }
            }
            ctx.expect(thrown == "invalidArgument", "sleep with a negative delay: \(thrown ?? "?")")
        }
    )

    static let loop021 = ClauseDefinition(
        id: "LOOP-021", contract: .loop, level: .must,
        statement: "An error thrown by a callback goes to the loop's exception handler, and the loop keeps running the callbacks after it.",
        source: "AIO-LOOP call_exception_handler; Issue 4",
        method: "A handler records what it gets; a callback throws, the next one stops the loop.",
        hint: "Catch callback errors in the loop and hand them to the handler.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            struct Boom: Error {}
            let loop = try ctx.makeLoop()
            let reported = Locked<[String]>([])
            let log = EventLog()
            loop.setExceptionHandler { context in
                reported.withLock { $0.append(context.error is Boom ? "Boom" : "\(context)") }
            }
            try loop.callSoon { throw Boom() }
            try loop.callSoon {
                log.add("after")
                loop.stop()
            }
            ctx.runBatch(loop)
            ctx.expect(reported.withLock { $0 } == ["Boom"], "the handler received \(reported.withLock { $0 })")
            ctx.expect(log.all == ["after"], "the callback after the failing one ran: \(log.all)")
        }
    )

    static let loop022 = ClauseDefinition(
        id: "LOOP-022", contract: .loop, level: .must,
        statement: "Closing a loop with pending tasks tells the exception handler and wakes their bodies with a cancellation, so that they unwind and nothing they hold leaks.",
        source: "Issue 4 (reliability); AIO-TASK ('Task was destroyed but it is pending!')",
        method: "A task awaits a future nobody sets; stop the loop, close it, and wait for the body's defer.",
        timingRule: "the body unwinds within the check's patience (20 units)",
        hint: "close() must resume every suspended task body; a job enqueued after close must still run somewhere.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let reports = Locked(0)
            let unwound = Latch(count: 1)
            loop.setExceptionHandler { _ in reports.withLock { $0 += 1 } }
            _ = try loop.createTask(name: "stuck") {
                defer { unwound.arrive() }
                _ = try await loop.createFuture(of: Int.self).value
            }
            try loop.callSoon { try loop.callSoon { loop.stop() } }
            ctx.runBatch(loop)
            ctx.expectNoThrow("close()") { try loop.close() }
            ctx.expect(reports.withLock { $0 } >= 1, "the exception handler heard nothing about the pending task")
            ctx.expect(unwound.wait(timeout: ctx.patience), "the pending task's body never unwound after close()")
        }
    )

    static let loop023 = ClauseDefinition(
        id: "LOOP-023", contract: .loop, level: .must,
        statement: "callAt with a time already past runs the callback as soon as possible, not never.",
        source: "AIO-LOOP call_at; Issue 4",
        method: "callAt(time − 1 unit), then a callSoon that schedules the stop one iteration later.",
        hint: "A past deadline is due at once.",
        requires: [.eventLoop], variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = EventLog()
            try loop.callAt(loop.time - ctx.units(1)) { log.add("past") }
            try loop.callSoon { try loop.callSoon { loop.stop() } }
            ctx.runBatch(loop)
            ctx.expect(log.all == ["past"], "a callAt in the past ran \(log.all.count) times by the second iteration")
        }
    )

    static let loop024 = ClauseDefinition(
        id: "LOOP-024", contract: .loop, level: .must,
        statement: "In virtual time, a loop with nothing ready jumps to its next timer: sleeps of 1 and 2 seconds finish at once with loop time advanced by exactly 3 seconds.",
        source: "Issue 4 (virtual clock); DESIGN §8",
        method: "A task sleeps 1 s then 2 s on a virtual-time loop; measure loop time and wall time.",
        timingRule: "loop time exactly 3 s; wall time < 1 unit",
        hint: "When idle, set loop time to the next deadline instead of waiting.",
        requires: [.eventLoop, .virtualTime], variants: [.virtualClock],
        check: .blocking { ctx in
            let (span, wall) = try ctx.measure { () -> Duration? in
                try ctx.runOnLoop { loop -> Duration in
                    let start = loop.time
                    try await loop.sleep(.seconds(1))
                    try await loop.sleep(.seconds(2))
                    return loop.time - start
                }
            }
            ctx.expect(span == .seconds(3), "loop time advanced by \(String(describing: span)), not exactly 3 s")
            ctx.expectBelow(wall, ctx.units(1), "3 s of virtual sleep")
        }
    )
}

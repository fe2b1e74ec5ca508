import ConcurrencySpec
import Foundation

/// The TASK and GATH groups: asyncio's `Task` (creation, scheduling,
/// cancellation, `wait_for`, `asyncio.run`) and `gather`, checked on the
/// implementation's event loop.
enum TaskClauses {
    static let all: [ClauseDefinition] = [
        task001, task002, task003, task004, task005, task006, task007, task008, task009,
        task010, task011, task012, task013, task014, task015, task016, task017, task018,
        gath001, gath002, gath003, gath004, gath005, gath006,
    ]

    private typealias Log = EventLog

    /// Python's `say_after(delay, what)` from the seed: sleeps `delay` of loop
    /// time, logs `what` and returns it.
    private static func sayAfter(_ loop: any EventLoop, _ delay: Duration, _ what: String, _ log: Log) async throws -> String {
        try await loop.sleep(delay)
        log.withLock { $0.append(what) }
        return what
    }

    /// Awaits `future`, recording a failure unless that throws a cancellation.
    private static func expectCancellation<Value>(
        _ ctx: CheckContext,
        _ what: String,
        line: Int = #line,
        _ future: any LoopFuture<Value>
    ) async {
        do {
            let value = try await future.value
            ctx.fail("\(what) returned \(value) instead of throwing a cancellation", line: line)
        } catch where error.isCancellation {
        } catch {
            ctx.fail("\(what) threw \(ctx.describe(error)) instead of a cancellation", line: line)
        }
    }

    // MARK: Creating and starting tasks

    static let task001 = ClauseDefinition(
        id: "TASK-001", contract: .task, level: .must,
        statement: "createTask returns a pending task bound to the loop it was called on, and none of the body has run when it returns.",
        source: "AIO-TASK create_task; SEED §Tasks",
        method: "Inside a task, createTask a body whose first line sets a flag and which then sleeps zero; right after createTask read the flag, the task's state and its loop; then await the task.",
        hint: "Look for a createTask that runs the body synchronously (an eager start) instead of queueing its first step on the loop.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let started = Locked(false)
                let task = try loop.createTask(name: "TASK-001") { () -> Int in
                    started.withLock { $0 = true }
                    try await loop.sleep(.zero)
                    return 1
                }
                ctx.expect(!started.value, "the body's first line had already run when createTask returned")
                ctx.expect(task.state == .pending, "the new task was \(task.state) when createTask returned, not pending")
                ctx.expect(task.loop === loop, "the new task is bound to another loop than the one createTask was called on")
                let value = try await task.value
                ctx.expect(started.value && value == 1, "awaiting the task gave \(value) with the flag \(started.value); the body did not run to its end")
            }
        }
    )

    static let task002 = ClauseDefinition(
        id: "TASK-002", contract: .task, level: .must,
        statement: "A created task takes its first step only once its creator next suspends, on whatever it awaits, so blocking work in the creator delays every task it created.",
        source: "AIO-TASK create_task; SEED §Tasks ('creating a task schedules the coroutine immediately' — imprecise, Appendix B #4)",
        method: "Create tasks A, B and C that log their first line; block the loop thread for 1 unit in the creator; read the log; sleep zero; read it again.",
        hint: "Look for a task body that starts before its creator yields: run eagerly by createTask, or run on another thread while the creator blocks.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let tasks = try ["A", "B", "C"].map { label in
                    try loop.createTask(name: "TASK-002 \(label)") { log.withLock { $0.append(label) } }
                }
                ctx.sleep(units: 1)
                ctx.expect(log.value.isEmpty, "tasks started while their creator blocked without yielding: \(log.value)")
                try await loop.sleep(.zero)
                ctx.expect(log.value == ["A", "B", "C"], "after the creator's first suspension the tasks had logged \(log.value), want [A, B, C]")
                _ = try await loop.gather(tasks).value
            }
        }
    )

    static let task003 = ClauseDefinition(
        id: "TASK-003", contract: .task, level: .must,
        statement: "Tasks take their first steps in the order they were created.",
        source: "CPython tasks.py (Task.__init__ queues the first step with call_soon)",
        method: "Create S0, S1, S2 and S3, each logging its name on its first line; gather them; read the log.",
        hint: "Look at how the first steps of new tasks are queued: first created, first run.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let tasks = try (0..<4).map { index in
                    try loop.createTask(name: "TASK-003 S\(index)") { log.withLock { $0.append("S\(index)") } }
                }
                _ = try await loop.gather(tasks).value
                ctx.expect(log.value == ["S0", "S1", "S2", "S3"], "tasks took their first steps in the order \(log.value), want [S0, S1, S2, S3]")
            }
        }
    )

    static let task004 = ClauseDefinition(
        id: "TASK-004", contract: .task, level: .must,
        statement: "Inside a task body LoopContext.loop is the task's loop, so LoopContext.createTask creates a task there, while outside every loop task LoopContext.createTask throws noRunningLoop.",
        source: "AIO-TASK create_task, get_running_loop",
        method: "From the kit's thread, with no loop task around, call LoopContext.createTask; then, in a task created from that thread, read LoopContext.loop and create and await a task through LoopContext.createTask; call it from the thread again once the loop has stopped.",
        hint: "Look for a task body that runs without LoopContext.loop bound to its loop (withValue around every body).",
        requires: [.eventLoop],
        check: .blocking { ctx in
            ctx.expectThrows(.noRunningLoop, "LoopContext.createTask outside any loop task") {
                try LoopContext.createTask { 1 }
            }
            _ = try ctx.runOnLoop { loop in
                let bound = LoopContext.loop
                ctx.expect(bound === loop, "LoopContext.loop inside a task body was \(bound.map { "\(type(of: $0))" } ?? "nil"), not the task's loop")
                let child: any LoopTask<Int>
                do {
                    child = try LoopContext.createTask(name: "TASK-004 child") { 42 }
                } catch {
                    ctx.fail("LoopContext.createTask inside a task body threw \(ctx.describe(error))")
                    return
                }
                ctx.expect(child.loop === loop, "LoopContext.createTask inside a task body made a task bound to another loop")
                let value = try await child.value
                ctx.expect(value == 42, "the task made through LoopContext.createTask returned \(value), want 42")
            }
            ctx.expectThrows(.noRunningLoop, "LoopContext.createTask after the loop stopped") {
                try LoopContext.createTask { 1 }
            }
        }
    )

    static let task005 = ClauseDefinition(
        id: "TASK-005", contract: .task, level: .must,
        statement: "Awaiting a task suspends the awaiting task until that task finishes, then hands back its result.",
        source: "SEED §Tasks (say_after(1, 'hello')); AIO-TASK",
        method: "After a 0.3-unit sleep (so the deadline is no round number), create a task running sayAfter(1 unit, \"hello\"), log, await it and log again.",
        timingRule: "the await ends exactly 1 unit of loop time after the task was created in virtual time; ≥ 1 unit − clock resolution and < 1.5 units in real time",
        hint: "Look at how an awaiting task is woken when the awaited task finishes: at once, on the next iteration.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                try await loop.sleep(ctx.units(0.3))
                let log = Log([])
                let begin = loop.time
                let task = try loop.createTask(name: "TASK-005 say_after") {
                    try await sayAfter(loop, ctx.units(1), "hello", log)
                }
                log.withLock { $0.append("awaiting") }
                let value = try await task.value
                let span = loop.time - begin
                log.withLock { $0.append("resumed") }
                ctx.expect(value == "hello", "awaiting the task gave \(value), want hello")
                ctx.expect(log.value == ["awaiting", "hello", "resumed"], "the log reads \(log.value), want [awaiting, hello, resumed]")
                ctx.expectLoopSpan(span, units: 1, below: 1.5, resolution: loop.clockResolution, "awaiting a 1-unit task")
            }
        }
    )

    static let task006 = ClauseDefinition(
        id: "TASK-006", contract: .task, level: .must,
        statement: "Awaiting a nested async function or a plain loop future runs inside the current task and creates no task, so currentTask is the same object inside and outside and allTasks does not grow, contrary to the seed's claim that an internally created task is awaited.",
        source: "AIO-TASK coroutines; SEED §Tasks ('awaiting an internally created task' — wrong, Appendix B #3)",
        method: "In the main task read currentTask, create a sibling task parked on a gate and count allTasks; call a nested async function that reads currentTask and allTasks before and after a zero sleep; await a plain future set by a callSoon callback that counts allTasks; compare everything with the main task.",
        hint: "Look at how currentTask is found: the task whose step is running, not the newest one; and at awaits that wrap their target in a task.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let outside = Locked<(any AnyLoopTask)?>(nil)
            let main = try loop.createTask(name: "TASK-006 main") { () -> Void in
                guard let current = loop.currentTask else {
                    ctx.fail("currentTask was nil inside a task body")
                    return
                }
                outside.withLock { $0 = current }
                let gate = loop.createFuture(of: Void.self)
                let sibling = try loop.createTask(name: "TASK-006 sibling") { try await gate.value }
                try await loop.sleep(.zero)
                let count = loop.allTasks.count

                func nested() async throws -> [(task: (any AnyLoopTask)?, count: Int)] {
                    let first = (loop.currentTask, loop.allTasks.count)
                    try await loop.sleep(.zero)
                    return [first, (loop.currentTask, loop.allTasks.count)]
                }
                for (index, seen) in try await nested().enumerated() {
                    let moment = index == 0 ? "before" : "after"
                    ctx.expect(seen.task === current, "currentTask inside a nested async function (\(moment) its await) is \(seen.task?.name ?? "nil"), not the calling task \(current.name)")
                    ctx.expect(seen.count == count, "allTasks counted \(seen.count) inside a nested async function (\(moment) its await), \(count) outside it")
                }

                let plain = loop.createFuture(of: Int.self)
                let countWhileAwaiting = Locked(-1)
                try loop.callSoon {
                    countWhileAwaiting.withLock { $0 = loop.allTasks.count }
                    try plain.setResult(7)
                }
                let value = try await plain.value
                ctx.expect(value == 7, "awaiting the plain future gave \(value), want 7")
                ctx.expect(countWhileAwaiting.value == count, "allTasks counted \(countWhileAwaiting.value) while the task awaited a plain future, \(count) before")
                ctx.expect(loop.currentTask === current, "currentTask after awaiting a plain future is \(loop.currentTask?.name ?? "nil"), not the awaiting task \(current.name)")

                try gate.setResult(())
                try await sibling.value
            }
            _ = ctx.expectNoThrow("the main task") { try loop.runUntilComplete(main) }
            ctx.expect(outside.value === main, "currentTask in the main task's body was \(outside.value?.name ?? "nil"), not the main task")
        }
    )

    // MARK: Awaiting tasks, overlap

    static let task007 = ClauseDefinition(
        id: "TASK-007", contract: .task, level: .must,
        statement: "Async functions awaited one after the other run one after the other: awaiting sayAfter(1) and then sayAfter(2) takes 3 units.",
        source: "SEED §Tasks ('These should take around 3 seconds')",
        method: "The seed's program: await sayAfter(1 unit, \"hello\"), then sayAfter(2 units, \"world\").",
        timingRule: "exactly 3 units of loop time in virtual time; ≥ 3 units − two clock resolutions (two timers in a row) and < 3.5 units in real time",
        hint: "Look at the loop's timers: a sleep that wakes before its delay has passed.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let begin = loop.time
                _ = try await sayAfter(loop, ctx.units(1), "hello", log)
                _ = try await sayAfter(loop, ctx.units(2), "world", log)
                let span = loop.time - begin
                ctx.expect(log.value == ["hello", "world"], "the log reads \(log.value), want [hello, world]")
                ctx.expectLoopSpan(span, units: 3, below: 3.5, resolution: loop.clockResolution * 2, "sayAfter(1) then sayAfter(2)")
            }
        }
    )

    static let task008 = ClauseDefinition(
        id: "TASK-008", contract: .task, level: .must,
        statement: "Two tasks created before either is awaited run concurrently: the seed's program takes 2 units, and the second task is still running when the await of the first returns.",
        source: "SEED §Tasks ('around 2 seconds (1 second less …)')",
        method: "The seed's program: create tasks for sayAfter(1 unit, \"hello\") and sayAfter(2 units, \"world\"), await the first, check the second is not done, await the second.",
        timingRule: "exactly 2 units of loop time in virtual time; ≥ 2 units − clock resolution and < 2.5 units in real time (serial would be 3)",
        hint: "Look for tasks that run one after the other, or a sleep that blocks the loop's thread instead of suspending the task.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let begin = loop.time
                let first = try loop.createTask(name: "TASK-008 hello") { try await sayAfter(loop, ctx.units(1), "hello", log) }
                let second = try loop.createTask(name: "TASK-008 world") { try await sayAfter(loop, ctx.units(2), "world", log) }
                _ = try await first.value
                ctx.expect(!second.isDone, "the second task was already \(second.state) when the await of the first returned")
                _ = try await second.value
                let span = loop.time - begin
                ctx.expect(log.value == ["hello", "world"], "the log reads \(log.value), want [hello, world]")
                ctx.expectLoopSpan(span, units: 2, below: 2.5, resolution: loop.clockResolution, "two overlapping tasks of 1 and 2 units")
            }
        }
    )

    // MARK: Cancellation

    static let task009 = ClauseDefinition(
        id: "TASK-009", contract: .task, level: .must,
        statement: "cancel() on a suspended task returns true but the task is not cancelled until its body has let the cancellation thrown at its await end it; then isCancelled is true, awaiting it throws a cancellation and cancel() returns false.",
        source: "AIO-TASK Task.cancel",
        method: "A task sleeping 10 units logs what its sleep threw and rethrows it; once it sleeps, cancel it, read its state, await it, read its state and cancel it again.",
        hint: "Look for a cancel() that marks the task cancelled at once instead of asking its body to stop.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let sleeper = try loop.createTask(name: "TASK-009 sleeper") { () -> Void in
                    do {
                        try await loop.sleep(ctx.units(10))
                        log.withLock { $0.append("slept") }
                    } catch {
                        log.withLock { $0.append(error.isCancellation ? "caught a cancellation" : "caught \(error)") }
                        throw error
                    }
                }
                try await loop.sleep(.zero)
                ctx.expect(sleeper.cancel(), "cancel() on a suspended task returned false")
                ctx.expect(!sleeper.isCancelled && !sleeper.isDone, "right after cancel() the task was already \(sleeper.state), before its body saw the cancellation")
                await expectCancellation(ctx, "awaiting the cancelled task", sleeper)
                ctx.expect(log.value == ["caught a cancellation"], "the body logged \(log.value), want [caught a cancellation]")
                ctx.expect(sleeper.isCancelled, "after its body rethrew the cancellation the task is \(sleeper.state), not cancelled")
                ctx.expect(!sleeper.cancel(), "cancel() on a cancelled task returned true")
            }
        }
    )

    static let task010 = ClauseDefinition(
        id: "TASK-010", contract: .task, level: .must,
        statement: "A task cancelled before its first step never runs any of its body.",
        source: "CPython tasks.py Task.__step (_must_cancel)",
        method: "createTask a body that logs on its first line and cancel it before yielding; sleep zero; await it.",
        hint: "Look at the first step of a task: a pending cancellation must end the task before the body starts.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let task = try loop.createTask(name: "TASK-010") { () -> Int in
                    log.withLock { $0.append("body ran") }
                    try await loop.sleep(.zero)
                    return 1
                }
                ctx.expect(task.cancel(), "cancel() on a task that has not started returned false")
                try await loop.sleep(.zero)
                await expectCancellation(ctx, "awaiting the task cancelled before its first step", task)
                ctx.expect(log.value.isEmpty, "the body of a task cancelled before its first step ran: \(log.value)")
                ctx.expect(task.isCancelled, "the task cancelled before its first step is \(task.state), not cancelled")
            }
        }
    )

    static let task011 = ClauseDefinition(
        id: "TASK-011", contract: .task, level: .must,
        statement: "A body that catches the cancellation and returns a value completes its task normally with that value, not cancelled.",
        source: "AIO-TASK Task.cancel",
        method: "A task sleeping 10 units returns \"swallowed\" when its sleep throws a cancellation; cancel it once it sleeps, await it.",
        hint: "Look at how a task ends: by what its body does with the cancellation, not by the cancel() call.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let task = try loop.createTask(name: "TASK-011") { () -> String in
                    do {
                        try await loop.sleep(ctx.units(10))
                        return "slept"
                    } catch where error.isCancellation {
                        return "swallowed"
                    }
                }
                try await loop.sleep(.zero)
                ctx.expect(task.cancel(), "cancel() on a suspended task returned false")
                do {
                    let value = try await task.value
                    ctx.expect(value == "swallowed", "the task returned \(value), want swallowed")
                } catch {
                    ctx.fail("awaiting a task whose body swallowed the cancellation threw \(ctx.describe(error))")
                }
                ctx.expect(task.state == .finished && !task.isCancelled, "a task whose body swallowed the cancellation ended \(task.state), not finished")
            }
        }
    )

    static let task012 = ClauseDefinition(
        id: "TASK-012", contract: .task, level: .must,
        statement: "An error escaping the body completes the task with that very error: awaiting rethrows it, exception() returns it, and result() before completion throws invalidState.",
        source: "AIO-TASK Task",
        method: "A task throws a ProbeError after a 0.2-unit sleep; call result() before it is done, then await it and read exception() and result().",
        hint: "Look for a task that wraps its body's error in another one, or answers result() before it is done.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let probe = ProbeError("TASK-012")
                let task = try loop.createTask(name: "TASK-012") { () -> Int in
                    try await loop.sleep(ctx.units(0.2))
                    throw probe
                }
                ctx.expectThrows(.invalidState, "result() on a task not yet started") { try task.result() }
                try await loop.sleep(.zero)
                ctx.expectThrows(.invalidState, "result() on a running task") { try task.result() }
                await ctx.expectRethrows(probe, "awaiting the failing task") { try await task.value }
                ctx.expect(task.state == .finished, "the failed task is \(task.state), not finished")
                let stored = ctx.expectNoThrow("exception() on the failed task") { try task.exception() }
                ctx.expect(((stored ?? nil) as? ProbeError) === probe, "exception() returned \(String(describing: stored)), not the body's error object")
                ctx.expectRethrows(probe, "result() on the failed task") { try task.result() }
            }
        }
    )

    static let task013 = ClauseDefinition(
        id: "TASK-013", contract: .task, level: .must,
        statement: "A done callback added to a task before another task started awaiting it runs before that awaiting task resumes, because callbacks and awaiters are served in the order they registered.",
        source: "AIO-FUT add_done_callback; CPython tasks.py (Task.__wakeup is a done callback)",
        method: "A target task waits on a gate; add a callback to it, start a task W that awaits it, add a second callback, open the gate and await the target from the main task; read the log right after that await.",
        hint: "Look at the order in which a finishing task serves its callbacks and the tasks awaiting it: registration order, one queue.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let gate = loop.createFuture(of: Void.self)
                let target = try loop.createTask(name: "TASK-013 target") { () -> Int in
                    try await gate.value
                    return 1
                }
                target.addDoneCallback { _ in log.withLock { $0.append("callback 1") } }
                let awaiter = try loop.createTask(name: "TASK-013 W") { () -> Void in
                    _ = try await target.value
                    log.withLock { $0.append("W resumed") }
                }
                try await loop.sleep(.zero)
                target.addDoneCallback { _ in log.withLock { $0.append("callback 2") } }
                try gate.setResult(())
                _ = try await target.value
                let seen = log.value
                ctx.expect(seen.first == "callback 1", "right after the await the log reads \(seen): the callback added before anyone awaited did not run first")
                if let callback = seen.firstIndex(of: "callback 1"), let resumed = seen.firstIndex(of: "W resumed") {
                    ctx.expect(callback < resumed, "task W resumed before the callback registered ahead of it: \(seen)")
                } else {
                    ctx.fail("right after the main task's await the log reads \(seen); the callback registered first and task W, which awaited before the main task, should both have run")
                }
                _ = try await awaiter.value
            }
        }
    )

    // MARK: waitFor

    static let task014 = ClauseDefinition(
        id: "TASK-014", contract: .task, level: .must,
        statement: "When waitFor times out it cancels the inner task, waits until the task has finished handling the cancellation, and only then throws timeout.",
        source: "AIO-TASK wait_for",
        method: "Inner task sleeps 10·T and, when cancelled, sleeps C in its handler before rethrowing; waitFor(inner, timeout: T) with T = 2 units and C = 1 unit; at the throw, read the inner task's state.",
        timingRule: "waitFor throws exactly T + C = 3 units after the call in virtual time; ≥ 3 units − two clock resolutions (two timers in a row) and < 4 units in real time",
        hint: "Look at waitFor's timeout path: cancel the inner future, then wait for it to be done, then throw.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let limit = ctx.units(2)
                let handling = ctx.units(1)
                let log = Log([])
                let inner = try loop.createTask(name: "TASK-014 inner") { () -> Int in
                    do {
                        try await loop.sleep(limit * 10)
                        log.withLock { $0.append("inner slept through") }
                        return 1
                    } catch {
                        try? await loop.sleep(handling)
                        log.withLock { $0.append("inner handled the cancellation") }
                        throw error
                    }
                }
                let begin = loop.time
                do {
                    let value = try await loop.waitFor(inner, timeout: limit)
                    ctx.fail("waitFor returned \(value) instead of throwing timeout")
                } catch let error as ConcurrencyError where error.kind == .timeout {
                } catch {
                    ctx.fail("waitFor threw \(ctx.describe(error)) instead of timeout")
                }
                let span = loop.time - begin
                ctx.expect(inner.isDone && inner.isCancelled, "when waitFor threw, the inner task was \(inner.state), not cancelled")
                ctx.expect(log.value == ["inner handled the cancellation"], "when waitFor threw, the inner task had logged \(log.value), want [inner handled the cancellation]")
                ctx.expectLoopSpan(span, units: 3, below: 4, resolution: loop.clockResolution * 2, "waitFor timing out after T = 2 units with a 1-unit cancellation handler")
            }
        }
    )

    static let task015 = ClauseDefinition(
        id: "TASK-015", contract: .task, level: .must,
        statement: "waitFor returns the inner result as soon as the inner future completes within the timeout.",
        source: "AIO-TASK wait_for",
        method: "waitFor a task that sleeps 0.5 unit and returns \"ok\", with a 5-unit timeout.",
        timingRule: "returns exactly 0.5 unit after the call in virtual time; ≥ 0.5 unit − clock resolution and < 2.5 units in real time (the full timeout would be 5)",
        hint: "Look at waitFor's success path: the inner future's completion must end the wait, not the timer.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let inner = try loop.createTask(name: "TASK-015 inner") { () -> String in
                    try await loop.sleep(ctx.units(0.5))
                    return "ok"
                }
                let begin = loop.time
                do {
                    let value = try await loop.waitFor(inner, timeout: ctx.units(5))
                    ctx.expect(value == "ok", "waitFor returned \(value), want ok")
                } catch {
                    ctx.fail("waitFor on a task finishing within the timeout threw \(ctx.describe(error))")
                }
                let span = loop.time - begin
                ctx.expect(inner.state == .finished, "the inner task is \(inner.state) after waitFor, not finished")
                ctx.expectLoopSpan(span, units: 0.5, below: 2.5, resolution: loop.clockResolution, "waitFor on a 0.5-unit task with a 5-unit timeout")
            }
        }
    )

    // MARK: One task at a time

    static let task016 = ClauseDefinition(
        id: "TASK-016", contract: .task, level: .must,
        statement: "One task step runs at a time, on the loop's thread, and tasks switch only where they suspend: a read-modify-write with no await inside never loses an update, while one with an await between the read and the write can.",
        source: "SEED §Concurrency intro ('asyncio: cooperative multitasking')",
        method: "Four tasks × 100 increments of a shared counter, each read and write a separate locked access: first with sleep(zero) after the write, then with sleep(zero) between read and write; every step records whether it ran on the thread that runs the loop.",
        hint: "Look for task bodies that run off the loop's thread or several at once, or switches between tasks where no await is.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            let loopThread = ThreadIdentity.current
            _ = try ctx.runOnLoop { loop in
                let offLoop = Locked(0)
                func race(awaitInside: Bool) async throws -> Int {
                    let counter = Locked(0)
                    let tasks = try (0..<4).map { index in
                        try loop.createTask(name: "TASK-016 \(awaitInside ? "yielding" : "atomic") \(index)") { () -> Void in
                            for _ in 0..<100 {
                                if ThreadIdentity.current != loopThread { offLoop.withLock { $0 += 1 } }
                                let read = counter.value
                                if awaitInside { try await loop.sleep(.zero) }
                                if ThreadIdentity.current != loopThread { offLoop.withLock { $0 += 1 } }
                                counter.withLock { $0 = read + 1 }
                                if !awaitInside { try await loop.sleep(.zero) }
                            }
                        }
                    }
                    _ = try await loop.gather(tasks).value
                    return counter.value
                }
                let atomic = try await race(awaitInside: false)
                ctx.expect(atomic == 400, "with no await between read and write the counter reached \(atomic), not 400: updates were lost")
                let yielding = try await race(awaitInside: true)
                ctx.expect(yielding < 400, "with an await between read and write the counter still reached \(yielding): tasks did not interleave at the await")
                ctx.expect(offLoop.value == 0, "\(offLoop.value) of 1600 task steps ran on another thread than the one running the loop")
            }
        }
    )

    // MARK: run (asyncio.run)

    static let task017 = ClauseDefinition(
        id: "TASK-017", contract: .task, level: .must,
        statement: "run on a fresh loop runs the body to completion, returns its result, and closes the loop, so that no loop is left running on the thread.",
        source: "AIO-RUNNER asyncio.run; SEED §asyncio",
        method: "The seed's my_sleep_coroutine: run a body that sleeps 2 units and returns a value; then read isClosed and isRunning, and run another fresh loop on the same thread.",
        timingRule: "the body's sleep spans exactly 2 units of loop time in virtual time; ≥ 2 units − clock resolution and < 2.5 units in real time, where run also returns < 2.5 units after the call",
        hint: "Look at the end of run: the loop must be closed once the body and the leftover tasks are done.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let (outcome, elapsed) = ctx.measure {
                ctx.expectNoThrow("run") {
                    try loop.run { () -> String in
                        ctx.expect(loop.isRunning, "isRunning was false inside the body run was running")
                        let begin = loop.time
                        try await loop.sleep(ctx.units(2))
                        ctx.expectLoopSpan(loop.time - begin, units: 2, below: 2.5, resolution: loop.clockResolution, "the body's 2-unit sleep")
                        return "slept"
                    }
                }
            }
            ctx.expect(outcome == "slept", "run returned \(String(describing: outcome)), want slept")
            ctx.expect(loop.isClosed, "the loop is still open after run returned")
            ctx.expect(!loop.isRunning, "the loop still says it is running after run returned")
            if !ctx.isVirtualClock {
                ctx.expectBelow(elapsed, ctx.units(2.5), "run of a body sleeping 2 units")
            }
            let next = try ctx.makeLoop()
            let value = ctx.expectNoThrow("running a second fresh loop on the same thread after run") {
                try next.runUntilComplete { 5 }
            }
            ctx.expect(value == 5, "the second loop's task gave \(String(describing: value)), want 5")
        }
    )

    static let task018 = ClauseDefinition(
        id: "TASK-018", contract: .task, level: .must,
        statement: "When the body given to run returns, run cancels every task still pending, lets each see the cancellation, and returns without waiting for their work.",
        source: "AIO-RUNNER asyncio.run",
        method: "The body creates a background task that sleeps 10 units (logging what its sleep threw), sleeps zero so the task is sleeping, and returns; after run, read the log, the task's state and the loop time.",
        timingRule: "from the body's return to the end of run: 0 loop time in virtual time; < 1 unit in real time (the background sleep would take 10)",
        hint: "Look at what run does with leftover tasks: cancel them and wait only for them to unwind.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            let loop = try ctx.makeLoop()
            let log = Log([])
            let background = Locked<(any LoopTask<Void>)?>(nil)
            let bodyEnd = Locked<Duration?>(nil)
            let (_, elapsed) = ctx.measure {
                ctx.expectNoThrow("run") {
                    try loop.run { () -> Void in
                        let task = try loop.createTask(name: "TASK-018 background") { () -> Void in
                            do {
                                try await loop.sleep(ctx.units(10))
                                log.withLock { $0.append("background slept through") }
                            } catch {
                                log.withLock { $0.append(error.isCancellation ? "background saw a cancellation" : "background caught \(error)") }
                                throw error
                            }
                        }
                        background.withLock { $0 = task }
                        try await loop.sleep(.zero)
                        bodyEnd.withLock { $0 = loop.time }
                    }
                }
            }
            let afterRun = loop.time
            ctx.expect(log.value == ["background saw a cancellation"], "after run the background task had logged \(log.value), want [background saw a cancellation]")
            if let task = background.value {
                ctx.expect(task.isCancelled, "after run the background task is \(task.state), not cancelled")
            }
            if let end = bodyEnd.value {
                ctx.expectLoopSpan(afterRun - end, units: 0, below: 1, resolution: loop.clockResolution, "run from the body's return to its own")
            }
            if !ctx.isVirtualClock {
                ctx.expectBelow(elapsed, ctx.units(1), "run of a body that leaves a 10-unit task behind")
            }
        }
    )

    // MARK: gather

    static let gath001 = ClauseDefinition(
        id: "GATH-001", contract: .task, level: .must,
        statement: "gather waits for its futures concurrently and yields their results in argument order, not in completion order.",
        source: "AIO-TASK gather; SEED §Tasks ('async.gather()' typo, Appendix B #1)",
        method: "Three tasks sleeping 3, 1 and 2 units return their index; await gather over them.",
        timingRule: "exactly 3 units of loop time in virtual time; ≥ 3 units − clock resolution and < 3.5 units in real time (serial would be 6)",
        hint: "Look at how gather assembles its result: by position in the argument list.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let begin = loop.time
                let tasks = try [3.0, 1, 2].enumerated().map { index, units in
                    try loop.createTask(name: "GATH-001 \(index)") { () -> Int in
                        try await loop.sleep(ctx.units(units))
                        return index
                    }
                }
                let results = try await loop.gather(tasks).value
                let span = loop.time - begin
                ctx.expect(results == [0, 1, 2], "gather gave \(results), want [0, 1, 2] (argument order)")
                ctx.expectLoopSpan(span, units: 3, below: 3.5, resolution: loop.clockResolution, "gather over tasks of 3, 1 and 2 units")
            }
        }
    )

    static let gath002 = ClauseDefinition(
        id: "GATH-002", contract: .task, level: .must,
        statement: "gatherOutcomes waits for every future and puts each error in the list at its future's position instead of throwing it.",
        source: "AIO-TASK gather (return_exceptions=True)",
        method: "A task returning 1 after 1 unit and a task throwing a ProbeError after a zero sleep; await gatherOutcomes over them.",
        hint: "Look at gatherOutcomes: an error is an outcome like any other, and the gather waits for all.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let probe = ProbeError("GATH-002")
                let fine = try loop.createTask(name: "GATH-002 fine") { () -> Int in
                    try await loop.sleep(ctx.units(1))
                    return 1
                }
                let failing = try loop.createTask(name: "GATH-002 failing") { () -> Int in
                    try await loop.sleep(.zero)
                    throw probe
                }
                let outcomes: [Result<Int, any Error>]
                do {
                    outcomes = try await loop.gatherOutcomes([fine, failing]).value
                } catch {
                    ctx.fail("awaiting gatherOutcomes threw \(ctx.describe(error)) instead of listing it")
                    return
                }
                ctx.expect(fine.isDone && failing.isDone, "gatherOutcomes completed while a child was pending (\(fine.state), \(failing.state))")
                guard ctx.expect(outcomes.count == 2, "gatherOutcomes gave \(outcomes.count) outcomes, want 2") else { return }
                if case .success(let value) = outcomes[0] {
                    ctx.expect(value == 1, "the first outcome is \(value), want 1")
                } else {
                    ctx.fail("the first outcome is \(outcomes[0]), want success(1)")
                }
                if case .failure(let error) = outcomes[1] {
                    ctx.expect((error as? ProbeError) === probe, "the second outcome holds \(ctx.describe(error)), not the child's error object")
                } else {
                    ctx.fail("the second outcome is \(outcomes[1]), want the child's error")
                }
            }
        }
    )

    static let gath003 = ClauseDefinition(
        id: "GATH-003", contract: .task, level: .must,
        statement: "gather throws the first error as soon as it occurs and cancels nothing: the other futures run to completion.",
        source: "AIO-TASK gather (return_exceptions=False)",
        method: "gather over a task returning 2 after 2 units and a task throwing a ProbeError after 1 unit; when the await throws, read the surviving task's state; then await it.",
        timingRule: "the error arrives exactly 1 unit after the start in virtual time; ≥ 1 unit − clock resolution and < 1.5 units in real time (waiting for all would be 2)",
        hint: "Look at gather's failure path: complete the gather with the error at once, and leave the other children alone.",
        requires: [.eventLoop], timing: .realTime, variants: Variant.clockModes,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let probe = ProbeError("GATH-003")
                let begin = loop.time
                let survivor = try loop.createTask(name: "GATH-003 survivor") { () -> Int in
                    try await loop.sleep(ctx.units(2))
                    return 2
                }
                let failing = try loop.createTask(name: "GATH-003 failing") { () -> Int in
                    try await loop.sleep(ctx.units(1))
                    throw probe
                }
                await ctx.expectRethrows(probe, "awaiting gather with a failing child") {
                    try await loop.gather([survivor, failing]).value
                }
                let span = loop.time - begin
                ctx.expectLoopSpan(span, units: 1, below: 1.5, resolution: loop.clockResolution, "gather until its child failed after 1 unit")
                ctx.expect(survivor.state == .pending, "when gather threw, the surviving child was \(survivor.state), not still running")
                do {
                    let value = try await survivor.value
                    ctx.expect(value == 2, "the surviving child returned \(value), want 2")
                } catch {
                    ctx.fail("the surviving child threw \(ctx.describe(error)) instead of finishing (was it cancelled by gather?)")
                }
            }
        }
    )

    static let gath004 = ClauseDefinition(
        id: "GATH-004", contract: .task, level: .must,
        statement: "Cancelling a gather cancels every child that is not done yet, and awaiting the gather then throws a cancellation.",
        source: "AIO-TASK gather; Appendix C (cancelled() on the gather is not asserted)",
        method: "gather over a fast task (done first) and a task sleeping 10 units; cancel the gather; await it, then await the slow task and read both children's states.",
        hint: "Look at what cancelling the gather does to its children: every one still pending is cancelled.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                let log = Log([])
                let fast = try loop.createTask(name: "GATH-004 fast") { 1 }
                let slow = try loop.createTask(name: "GATH-004 slow") { () -> Int in
                    do {
                        try await loop.sleep(ctx.units(10))
                        log.withLock { $0.append("slow slept through") }
                        return 2
                    } catch {
                        log.withLock { $0.append(error.isCancellation ? "slow saw a cancellation" : "slow caught \(error)") }
                        throw error
                    }
                }
                let gathering = loop.gather([fast, slow])
                _ = try await fast.value
                try await loop.sleep(.zero)
                gathering.cancel()
                await expectCancellation(ctx, "awaiting the cancelled gather", gathering)
                await expectCancellation(ctx, "awaiting the slow child of the cancelled gather", slow)
                ctx.expect(slow.isCancelled, "the slow child is \(slow.state) after the gather was cancelled, not cancelled")
                ctx.expect(log.value == ["slow saw a cancellation"], "the slow child logged \(log.value), want [slow saw a cancellation]")
                ctx.expect(fast.state == .finished, "the fast child, done before the cancel, is now \(fast.state)")
            }
        }
    )

    static let gath005 = ClauseDefinition(
        id: "GATH-005", contract: .task, level: .must,
        statement: "A child cancelled on its own counts as that child throwing a cancellation, listed by gatherOutcomes and thrown by gather, and the gather itself is not cancelled, so its other children run on.",
        source: "AIO-TASK gather",
        method: "Twice, a task returning 1 after 1 unit and a task sleeping 10 units: cancel the sleeper directly once it sleeps; await gatherOutcomes over the first pair and gather over the second; then read the gathers' states and await the other child.",
        hint: "Look at how gather treats a cancelled child: as an error of that child, never as a reason to cancel the gather.",
        requires: [.eventLoop],
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                func pair(_ label: String) throws -> (quick: any LoopTask<Int>, sleeper: any LoopTask<Int>) {
                    let quick = try loop.createTask(name: "GATH-005 \(label) quick") { () -> Int in
                        try await loop.sleep(ctx.units(1))
                        return 1
                    }
                    let sleeper = try loop.createTask(name: "GATH-005 \(label) sleeper") { () -> Int in
                        try await loop.sleep(ctx.units(10))
                        return 2
                    }
                    return (quick, sleeper)
                }

                let listed = try pair("outcomes")
                let outcomesGather = loop.gatherOutcomes([listed.quick, listed.sleeper])
                try await loop.sleep(.zero)
                listed.sleeper.cancel()
                do {
                    let outcomes = try await outcomesGather.value
                    let first = try? outcomes.first?.get()
                    ctx.expect(first == 1, "gatherOutcomes listed \(String(describing: outcomes.first)) for the quick child, want success(1)")
                    if outcomes.count == 2, case .failure(let error) = outcomes[1] {
                        ctx.expect(error.isCancellation, "gatherOutcomes listed \(ctx.describe(error)) for the cancelled child, not a cancellation")
                    } else {
                        ctx.fail("gatherOutcomes gave \(outcomes), want the cancelled child listed as a cancellation error")
                    }
                } catch {
                    ctx.fail("awaiting gatherOutcomes with a child cancelled on its own threw \(ctx.describe(error))")
                }
                ctx.expect(!outcomesGather.isCancelled, "gatherOutcomes was cancelled because one child was")

                let thrown = try pair("gather")
                let gathering = loop.gather([thrown.quick, thrown.sleeper])
                try await loop.sleep(.zero)
                thrown.sleeper.cancel()
                await expectCancellation(ctx, "awaiting gather with a child cancelled on its own", gathering)
                ctx.expect(!gathering.isCancelled, "the gather itself was cancelled because one child was")
                do {
                    let value = try await thrown.quick.value
                    ctx.expect(value == 1, "the other child returned \(value), want 1")
                } catch {
                    ctx.fail("the other child of the gather threw \(ctx.describe(error)) instead of finishing")
                }
            }
        }
    )

    static let gath006 = ClauseDefinition(
        id: "GATH-006", contract: .task, level: .must,
        statement: "gather and gatherOutcomes over no futures complete with an empty list, and a future passed twice is awaited once with its result repeated.",
        source: "CPython tasks.py gather",
        method: "Await gather([]) and gatherOutcomes([]); then gather([t, t]) over a task that counts its runs and returns 7; every await bounded by waitFor with the kit's patience.",
        hint: "Look at gather's bookkeeping: an empty list is done at once, and a repeated future must still let the count reach zero.",
        requires: [.eventLoop], budgetUnits: 80,
        check: .blocking { ctx in
            _ = try ctx.runOnLoop { loop in
                do {
                    let empty = try await loop.waitFor(loop.gather([any LoopFuture<Int>]()), timeout: ctx.patience)
                    ctx.expect(empty.isEmpty, "gather([]) gave \(empty), want []")
                } catch {
                    ctx.fail("gather([]) did not complete with []: waiting for it threw \(ctx.describe(error))")
                }
                do {
                    let empty = try await loop.waitFor(loop.gatherOutcomes([any LoopFuture<Int>]()), timeout: ctx.patience)
                    ctx.expect(empty.isEmpty, "gatherOutcomes([]) gave \(empty.count) outcomes, want none")
                } catch {
                    ctx.fail("gatherOutcomes([]) did not complete with []: waiting for it threw \(ctx.describe(error))")
                }
                let runs = Locked(0)
                let task = try loop.createTask(name: "GATH-006 repeated") { () -> Int in
                    runs.withLock { $0 += 1 }
                    try await loop.sleep(.zero)
                    return 7
                }
                do {
                    let values = try await loop.waitFor(loop.gather([task, task]), timeout: ctx.patience)
                    ctx.expect(values == [7, 7], "gather([t, t]) gave \(values), want [7, 7]")
                } catch {
                    ctx.fail("gather([t, t]) did not complete: waiting for it threw \(ctx.describe(error))")
                }
                ctx.expect(runs.value == 1, "the task passed twice ran its body \(runs.value) times")
            }
        }
    )
}

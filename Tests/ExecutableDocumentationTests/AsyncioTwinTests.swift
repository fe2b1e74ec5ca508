import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
import Foundation
import Testing

/// What an asyncio twin printed, with the loop time of each line in seed
/// seconds.
private final class Printout: Sendable {
    private let lines = Locked<[(text: String, at: Duration)]>([])
    func print(_ text: String, at time: Duration) { lines.withLock { $0.append((text, time)) } }
    var texts: [String] { lines.withLock { $0.map(\.text) } }
    var times: [Duration] { lines.withLock { $0.map(\.at) } }
}

/// The seed's `say_after(delay, what)`: sleeps, then prints.
private func sayAfter(_ delay: Duration, _ what: String, on loop: any EventLoop, _ out: Printout) async throws {
    try await loop.sleep(delay)
    out.print(what, at: loop.time)
}

/// The seed's asyncio examples run in the reference loop's virtual time,
/// where one seed second is one second of loop time and every duration the
/// seed predicts ("around 3 seconds") holds exactly.
@Suite("Seed: asyncio and Tasks")
struct AsyncioTwinTests {
    /// Seed §asyncio, Python 3.7+:
    ///
    /// ```python
    /// async def my_sleep_coroutine(time, string):
    ///     coro = asyncio.sleep(time)
    ///     await coro
    ///     print(string)
    ///
    /// coro = my_sleep_coroutine(2, "Printed after 2 seconds")
    /// asyncio.run(coro)
    /// ```
    /// Making the coroutine runs none of it; `run` prints after exactly 2 s
    /// of loop time and closes the loop.
    @Test func mySleepCoroutineUnderRun() async throws {
        let out = Printout()
        let loop = SerialEventLoop(clock: .virtual)
        let coro: @Sendable () async throws -> Void = {
            try await loop.sleep(.seconds(2))
            out.print("Printed after 2 seconds", at: loop.time)
        }
        #expect(out.texts.isEmpty, "making the coroutine ran it")
        try await Twin.blocking { try loop.run(coro) }
        #expect(out.texts == ["Printed after 2 seconds"])
        #expect(out.times == [.seconds(2)])
        #expect(loop.isClosed, "run leaves the loop closed")
    }

    /// Seed §asyncio, Python < 3.7: `ensure_future` + `get_event_loop` +
    /// `run_until_complete` + `close`. The Swift twin is `createTask`,
    /// `runUntilComplete`, `close`; the idiom is deprecated in Python 3.12
    /// and fails on 3.14 when no loop is set (Appendix B #17).
    @Test func mySleepCoroutineTheOldWay() async throws {
        let out = Printout()
        let loop = SerialEventLoop(clock: .virtual)
        try await Twin.blocking {
            let task = try loop.createTask {
                try await loop.sleep(.seconds(2))
                out.print("Printed after 2 seconds", at: loop.time)
            }
            try loop.runUntilComplete(task)
            try loop.close()
        }
        #expect(out.texts == ["Printed after 2 seconds"])
        #expect(out.times == [.seconds(2)])
    }

    /// Seed §Tasks, `create_task` then `await task`: finished about 1 s
    /// after started.
    @Test func sayAfterAsAnAwaitedTask() async throws {
        let out = Printout()
        let loop = SerialEventLoop(clock: .virtual)
        try await Twin.blocking {
            try loop.run {
                out.print("started", at: loop.time)
                let task = try loop.createTask { try await sayAfter(.seconds(1), "hello", on: loop, out) }
                try await task.value
                out.print("finished", at: loop.time)
            }
        }
        #expect(out.texts == ["started", "hello", "finished"])
        #expect(out.times == [.zero, .seconds(1), .seconds(1)])
    }

    /// Seed §Tasks, sequential awaits: "These should take around 3 seconds".
    /// Awaiting a coroutine runs it inside the current task; no task is
    /// created, contrary to the seed's "internally created task"
    /// (Appendix B #3).
    @Test func sequentialAwaitsTakeTheSum() async throws {
        let out = Printout()
        let loop = SerialEventLoop(clock: .virtual)
        let (sameTask, taskCount) = try await Twin.blocking {
            try loop.run { () async throws -> (Bool, Int) in
                out.print("started", at: loop.time)
                let outer = loop.currentTask
                try await sayAfter(.seconds(1), "hello", on: loop, out)
                let inner = loop.currentTask
                let count = loop.allTasks.count
                try await sayAfter(.seconds(2), "world", on: loop, out)
                out.print("finished", at: loop.time)
                return (outer != nil && outer === inner, count)
            }
        }
        #expect(out.texts == ["started", "hello", "world", "finished"])
        #expect(out.times.last == .seconds(3))
        #expect(sameTask, "awaiting a coroutine changed the current task")
        #expect(taskCount == 1, "awaiting a coroutine created a task")
    }

    /// Seed §Tasks, two tasks created first: "around 2 seconds (1 second
    /// less than previous snippet)". Both start at the creator's first
    /// suspension, whatever it awaits (Appendix B #4, #5): no code of either
    /// runs inside `createTask`.
    @Test func tasksCreatedFirstOverlap() async throws {
        let out = Printout()
        let loop = SerialEventLoop(clock: .virtual)
        let (ranBeforeYield, secondRunningAfterFirst) = try await Twin.blocking {
            try loop.run { () async throws -> (Bool, Bool) in
                out.print("started", at: loop.time)
                let task1 = try loop.createTask { try await sayAfter(.seconds(1), "hello", on: loop, out) }
                let task2 = try loop.createTask { try await sayAfter(.seconds(2), "world", on: loop, out) }
                let ranBeforeYield = out.texts.count > 1
                try await task1.value
                let secondRunning = !task2.isDone
                try await task2.value
                out.print("finished", at: loop.time)
                return (ranBeforeYield, secondRunning)
            }
        }
        #expect(out.texts == ["started", "hello", "world", "finished"])
        #expect(out.times == [.zero, .seconds(1), .seconds(2), .seconds(2)])
        #expect(!ranBeforeYield)
        #expect(secondRunningAfterFirst, "task2 was not still running when await task1 returned")
    }

    /// Seed §Tasks: "You can start multiple coroutines with `async.gather()`"
    /// — a typo for `asyncio.gather` (`async` is a keyword; Appendix B #1).
    /// Results come back in argument order, not completion order.
    @Test func gatherReturnsResultsInArgumentOrder() async throws {
        let loop = SerialEventLoop(clock: .virtual)
        let (results, elapsed) = try await Twin.blocking {
            try loop.run { () async throws -> ([String], Duration) in
                let jobs = try [(3, "three"), (1, "one"), (2, "two")].map { seconds, word in
                    try loop.createTask { () async throws -> String in
                        try await loop.sleep(.seconds(seconds))
                        return word
                    }
                }
                return (try await loop.gather(jobs).value, loop.time)
            }
        }
        #expect(results == ["three", "one", "two"])
        #expect(elapsed == .seconds(3))
    }

    /// Seed §Working with modules NOT based on asyncio: "`async.ensure_future()`".
    /// Wrong twice (Appendix B #2): a typo, and wrapping blocking code in a
    /// task still blocks the loop. Two blocking coroutines run back to back;
    /// the same calls through `runInExecutor` overlap.
    @Test func blockingCodeNeedsRunInExecutorNotATask() async throws {
        let unit = Twin.unit
        let (inTasks, inExecutor) = try await Twin.timed { () throws -> (Duration, Duration) in
            let clock = ContinuousClock()
            let loop = SerialEventLoop()
            var start = clock.now
            try loop.runUntilComplete {
                let blockers = try (0..<2).map { _ in try loop.createTask { Twin.sleep(seconds: 1) } }
                _ = try await loop.gather(blockers).value
            }
            let inTasks = clock.now - start
            start = clock.now
            try loop.run {
                let jobs = try (0..<2).map { _ in try loop.runInExecutor(nil) { Twin.sleep(seconds: 1) } }
                _ = try await loop.gather(jobs).value
            }
            return (inTasks, clock.now - start)
        }
        #expect(inTasks >= unit * 2, "two blocking coroutines took \(inTasks): they overlapped")
        #expect(inExecutor >= unit)
        #expect(inExecutor < unit * 1.5, "two runInExecutor calls took \(inExecutor): they did not overlap")
    }
}

import ConcurrencyConformance
import ConcurrencySpec
import Foundation

/// The asyncio scenarios of Fixtures/cpython/scenarios_asyncio.py and the
/// loop half of scenarios_semantics.py, written against `EventLoop` only.
/// `u(n)` is n units: one second of loop time in virtual time, the real unit
/// otherwise.
enum AsyncioTwins {
    static func u(_ tr: Recorder, _ n: Double) -> Duration { tr.unit * n }

    static func sayAfter(_ tr: Recorder, _ loop: any EventLoop, _ delay: Double, _ what: String) async throws {
        tr.emit("say_after_start", .string(what))
        try await loop.sleep(u(tr, delay))
        tr.emit("print", .string(what))
    }

    static func s01(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        let ran = Locked(false)
        let coro: @Sendable () async throws -> Void = {
            ran.withLock { $0 = true }
            try await loop.sleep(u(tr, 2))
            tr.emit("print", "Printed after 2 seconds")
        }
        tr.emit("coroutine_created", ["body_ran": .bool(ran.value)])
        try loop.run(coro)
        tr.emit("run_returned", ["loop_running_afterwards": .bool(loop.isRunning)])
    }

    static func s02(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        let task = try loop.createTask {
            try await loop.sleep(u(tr, 2))
            tr.emit("print", "Printed after 2 seconds")
        }
        try loop.runUntilComplete(task)
        tr.emit("run_until_complete_returned", ["task_done": .bool(task.isDone), "loop_closed": .bool(loop.isClosed)])
        try loop.close()
        tr.emit("closed", ["loop_closed": .bool(loop.isClosed)])
        tr.emit("warnings", [], timed: false)  // the Swift idiom is not deprecated
    }

    static func s03(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            let task = try loop.createTask { "ran" }
            let result = try await task.value
            let none: [any LoopFuture<String>] = []
            let gathered = try await loop.gather(none).value
            tr.emit("spelled_right", ["ensure_future_result": .string(result), "gather_no_args": .array(gathered.map(JSON.string))], timed: false)
        }
    }

    static func s04(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            tr.emit("print", "started at")
            let task = try loop.createTask { try await sayAfter(tr, loop, 1, "hello") }
            try await task.value
            tr.emit("print", "finished at")
        }
    }

    static func s05(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            tr.emit("print", "started at")
            let outer = loop.currentTask
            try await sayAfter(tr, loop, 1, "hello")
            let same = outer != nil && loop.currentTask === outer
            tr.emit("after_first_await", ["same_task": .bool(same), "n_tasks": .int(loop.allTasks.count)])
            try await sayAfter(tr, loop, 2, "world")
            tr.emit("print", "finished at")
        }
    }

    static func s06(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            tr.emit("print", "started at")
            let task1 = try loop.createTask { try await sayAfter(tr, loop, 1, "hello") }
            let task2 = try loop.createTask { try await sayAfter(tr, loop, 2, "world") }
            tr.emit("tasks_created")
            try await task1.value
            tr.emit("task1_awaited", ["task2_done": .bool(task2.isDone)])
            try await task2.value
            tr.emit("print", "finished at")
        }
    }

    /// Real time: the creator blocks its thread for a unit.
    static func s07(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: false)
        @Sendable func child() async -> (any AnyLoopTask)? { loop.currentTask }
        try loop.run {
            let outer = loop.currentTask
            for name in ["A", "B", "C"] {
                _ = try loop.createTask { tr.emit("task_start", .string(name)) }
            }
            tr.emit("created")
            blockingSleep(u(tr, 1))
            tr.emit("blocked_in_creator")
            try await loop.sleep(.zero)
            tr.emit("after_first_suspension")
            let inner = await child()
            let future = loop.createFuture(of: Void.self)
            try loop.callSoon { try future.setResult(()) }
            try await future.value
            let same = outer != nil && inner === outer
            tr.emit("awaited_coroutine_and_future", ["same_task": .bool(same), "n_tasks": .int(loop.allTasks.count)])
        }
    }

    static func s08(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            let jobs = try [(3.0, "three"), (1.0, "one"), (2.0, "two")].map { seconds, word in
                try loop.createTask { () async throws -> String in
                    try await loop.sleep(u(tr, seconds))
                    tr.emit("completed", .string(word))
                    return word
                }
            }
            let results = try await loop.gather(jobs).value
            tr.emit("gathered", .array(results.map(JSON.string)))
        }
    }

    /// Real time: blocking code in tasks against runInExecutor.
    static func s09(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let unit = tr.unit
        tr.start()
        try subject.loop(virtualTime: false).run {
            let loop = try LoopContext.runningLoop()
            let blockers = try (0..<2).map { _ in try loop.createTask { blockingSleep(unit) } }
            _ = try await loop.gather(blockers).value
        }
        tr.emit("two_blocking_tasks_done")
        tr.start()
        try subject.loop(virtualTime: false).run {
            let loop = try LoopContext.runningLoop()
            let jobs = try (0..<2).map { _ in try loop.runInExecutor(nil) { blockingSleep(unit) } }
            _ = try await loop.gather(jobs).value
        }
        tr.emit("two_run_in_executor_calls_done")
    }

    static func l01(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        @Sendable func callback(_ name: String) {
            tr.emit("callback", .string(name), timed: false)
            if name == "s1" { _ = try? loop.callSoon { callback("nested") } }
            if name == "s5" { loop.stop() }
        }
        for n in 1...5 { try loop.callSoon { callback("s\(n)") } }
        try loop.runForever()
        tr.emit("run_forever_returned", timed: false)
        loop.stop()
        try loop.runForever()
        tr.emit("second_run_forever_returned", timed: false)
        try loop.close()
    }

    static func l02(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        for delay in [3, 1, 2, 0] {
            try loop.callLater(u(tr, Double(delay))) { tr.emit("timer", .int(delay)) }
        }
        try loop.callSoon { tr.emit("soon") }
        try loop.callLater(u(tr, 3.5)) { loop.stop() }
        try loop.runForever()
        try loop.close()
    }

    static func l03(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        let when = loop.time + u(tr, 1)
        for n in 0..<12 { try loop.callAt(when) { tr.emit("timer", .int(n)) } }
        try loop.callAt(when + u(tr, 1)) { loop.stop() }
        try loop.runForever()
        try loop.close()
    }

    static func l04(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            let tickers = try ["A", "B"].map { name in
                try loop.createTask {
                    for i in 0..<3 {
                        tr.emit("tick", .string("\(name)\(i)"), timed: false)
                        try await loop.sleep(.zero)
                    }
                }
            }
            _ = try await loop.gather(tickers).value
        }
    }

    static func l05(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            var task = try loop.createTask { () async throws -> String in
                tr.emit("sleeper_start")
                try await loop.sleep(u(tr, 10))
                return "slept"
            }
            try await loop.sleep(u(tr, 1))
            let returned = task.cancel()
            tr.emit("cancel_sleeping", ["returned": .bool(returned), "cancelled": .bool(task.isCancelled)])
            do {
                _ = try await task.value
            } catch where error.isCancellation {
                tr.emit("await_raised", ["error": "cancelled", "cancelled": .bool(task.isCancelled)])
            }
            tr.emit("cancel_again", .bool(task.cancel()))
            let early = try loop.createTask { tr.emit("never_body_ran") }
            tr.emit("cancel_before_first_step", .bool(early.cancel()))
            try await loop.sleep(.zero)
            try await loop.sleep(.zero)
            tr.emit("early_state", ["cancelled": .bool(early.isCancelled)])
            task = try loop.createTask { () async throws -> String in
                do {
                    try await loop.sleep(u(tr, 10))
                    return "slept"
                } catch where error.isCancellation {
                    return "swallowed"
                }
            }
            try await loop.sleep(.zero)
            task.cancel()
            let result = try await task.value
            tr.emit("swallowed", ["result": .string(result), "cancelled": .bool(task.isCancelled)])
        }
    }

    static func l06(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        try loop.run {
            let f = loop.createFuture(of: Int.self)
            do {
                _ = try f.result()
            } catch {
                tr.emit("result_pending", ["error": .string(errorName(error))], timed: false)
            }
            for name in ["cb1", "cb2", "cb3"] {
                f.addDoneCallback { _ in tr.emit("callback", .string(name), timed: false) }
            }
            try f.setResult(1)
            tr.emit("set_result_returned", timed: false)
            f.addDoneCallback { _ in tr.emit("callback", "late", timed: false) }
            tr.emit("add_done_callback_returned", timed: false)
            try await loop.sleep(.zero)
            tr.emit("after_one_iteration", timed: false)
            do {
                try f.setResult(2)
            } catch {
                tr.emit("set_result_twice", ["error": .string(errorName(error))], timed: false)
            }
        }
    }

    static func l07(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        @Sendable func ok(_ seconds: Int) throws -> any LoopTask<Int> {
            try loop.createTask {
                try await loop.sleep(u(tr, Double(seconds)))
                tr.emit("child_done", .int(seconds))
                return seconds
            }
        }
        @Sendable func bad(_ seconds: Int) throws -> any LoopTask<Int> {
            try loop.createTask {
                try await loop.sleep(u(tr, Double(seconds)))
                throw ValueError(argument: seconds)
            }
        }
        try loop.run {
            let outcomes = try await loop.gatherOutcomes([try ok(1), try bad(1)]).value
            tr.emit("outcomes", .array(outcomes.map { outcome in
                switch outcome {
                case .success(let value): .int(value)
                case .failure(let error): ["error": .string(errorName(error))]
                }
            }))
            tr.start()
            let survivor = try ok(2)
            do {
                _ = try await loop.gather([try bad(1), survivor]).value
            } catch {
                tr.emit("raised", ["error": .string(errorName(error))])
            }
            _ = try await survivor.value
        }
    }

    static func l08(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let loop = try tr.useLoop(of: subject, virtualTime: true)
        @Sendable func after(_ seconds: Int) throws -> any LoopTask<Int> {
            try loop.createTask {
                try await loop.sleep(u(tr, Double(seconds)))
                return seconds
            }
        }
        try loop.run {
            tr.start()
            var tasks = try [1, 5].map(after)
            var (done, pending) = try await loop.wait(tasks, timeout: u(tr, 2), returnWhen: .allCompleted)
            tr.emit("wait_timeout", [
                "done": .array(try done.map { try $0.result() }.sorted().map(JSON.int)),
                "pending": .int(pending.count),
                "pending_cancelled": .bool(pending.contains { $0.isCancelled }),
            ])
            for task in tasks { task.cancel() }
            tr.start()
            tasks = try [3, 1, 2].map(after)
            (done, pending) = try await loop.wait(tasks, timeout: nil, returnWhen: .firstCompleted)
            tr.emit("wait_first_completed", [
                "done": .array(try done.map { try $0.result() }.sorted().map(JSON.int)),
                "pending": .int(pending.count),
            ])
            for task in tasks { task.cancel() }
            tr.start()
            let inner = try after(10)
            do {
                _ = try await loop.waitFor(inner, timeout: u(tr, 1))
            } catch {
                tr.emit("wait_for_timeout", ["error": .string(errorName(error)), "inner_cancelled": .bool(inner.isCancelled)])
            }
            tr.emit("wait_for_in_time", .int(try await loop.waitFor(try after(1), timeout: u(tr, 3))))
            tr.start()
            for try await next in loop.asCompleted(try [3, 1, 2].map(after), timeout: nil) {
                tr.emit("as_completed", .int(try next.result()))
            }
        }
    }
}


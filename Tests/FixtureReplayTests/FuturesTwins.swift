import ConcurrencyConformance
import ConcurrencySpec
import Foundation
import SeedJobs

#if canImport(Glibc)
import Glibc
#endif

/// The concurrent.futures scenarios of Fixtures/cpython/scenarios_futures.py
/// and the futures half of scenarios_semantics.py, written against
/// `ConcurrentExecutor`, `ConcurrentFuture`, `wait` and `asCompleted` only.
enum FuturesTwins {
    static func sleepUnits(_ tr: Recorder, _ n: Double) { blockingSleep(tr.unit * n) }

    static func outcome<Value>(_ future: any ConcurrentFuture<Value>, _ value: (Value) -> JSON) -> JSON {
        if future.isCancelled { return "cancelled" }
        do { return value(try future.result(timeout: .zero)) } catch { return ["error": .string(errorName(error))] }
    }

    static func s10(_ tr: Recorder, _ subject: ReplaySubject) throws {
        for executor in [try subject.threadPool(1), try subject.processPool(1)] {
            let entered = scoped(executor) { $0 }
            // A protocol cannot be instantiated: every executor is a conforming type, never "exactly Executor".
            tr.emit("executor", ["is_executor": true, "exactly_executor": false, "with_yields_itself": .bool(entered === executor)], timed: false)
        }
    }

    static func s11(_ tr: Recorder, _ subject: ReplaySubject) throws {
        tr.start()
        try scoped(try subject.threadPool()) { executor in
            let future1 = try executor.submit { sleepUnits(tr, 2); return "hello" }
            let future2 = try executor.submit { sleepUnits(tr, 2); return "world" }
            tr.emit("submitted")
            tr.emit("print", .string("\(try future1.result()) \(try future2.result())"))
        }
        tr.emit("total")
    }

    static func s12(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let numbers = try sharedPrimes()
        try scoped(try subject.processPool()) { executor in
            let resultsGenerator = try executor.map(numbers.map(IsPrime.init))
            for (number, prime) in zip(numbers, try resultsGenerator.collect()) {
                tr.emit("print", .string("\(number) is prime: \(prime ? "True" : "False")"), timed: false)
            }
        }
    }

    static func x03(_ tr: Recorder, _ subject: ReplaySubject) throws {
        tr.start()
        try scoped(try subject.threadPool(3)) { executor in
            let seconds = [3.0, 2.0, 1.0]
            let results = try executor.map(0..<3) { index in
                tr.emit("call_start", .int(index), set: "starts")
                sleepUnits(tr, seconds[index])
                return index
            }
            tr.emit("map_returned", set: "starts")
            while let value = try results.next() { tr.emit("value", .int(value)) }
        }
        tr.start()
        try scoped(try subject.threadPool(2)) { executor in
            let results = try executor.map(0..<5) { x in
                if x == 2 { throw ValueError(argument: x) }
                return x
            }
            for _ in 0..<4 {
                do {
                    if let value = try results.next() {
                        tr.emit("next", .int(value), timed: false)
                    } else {
                        tr.emit("stop_iteration", timed: false)
                    }
                } catch let error as ValueError {
                    tr.emit("raised", ["error": "ValueError", "element": .int(error.argument)], timed: false)
                }
            }
        }
    }

    static func s13(_ tr: Recorder, _ subject: ReplaySubject) throws {
        tr.start()
        try scoped(try subject.threadPool()) { executor in
            let seconds = [5.0, 4.0, 3.0, 2.0, 1.0]
            let futures = try seconds.enumerated().map { id, seconds in
                try executor.submit { sleepUnits(tr, seconds); return "Return of ID: \(id)" }
            }
            let completions = subject.executors.asCompleted(futures, timeout: nil)
            while let future = try completions.next() {
                tr.emit("print", .string(try future.result()))
            }
        }
        tr.emit("total")
    }

    static func s14(_ tr: Recorder, _ subject: ReplaySubject) throws {
        func run(_ sleeps: [Double], _ body: ([any ConcurrentFuture<String>], [Int], [Int]) throws -> Void) throws {
            try scoped(try subject.threadPool()) { executor in
                let futures = try (0..<4).map { taskID in
                    try executor.submit { sleepUnits(tr, sleeps[taskID]); return "Return of ID: \(taskID)" }
                }
                let (done, notDone) = subject.executors.wait(futures, timeout: nil, returnWhen: .firstCompleted)
                let index = { (f: any ConcurrentFuture<String>) in futures.firstIndex { $0 === f }! }
                try body(futures, done.map(index).sorted(), notDone.map(index).sorted())
            }
        }
        tr.start()
        var all: [any ConcurrentFuture<String>] = []
        try run([3, 1, 4, 2]) { futures, done, notDone in
            all = futures
            tr.emit("wait_returned", ["done": .array(done.map(JSON.int)), "not_done": .array(notDone.map(JSON.int))])
            tr.emit("print", .string(try futures[done[0]].result()))
        }
        tr.emit("with_exited", ["all_done": .bool(all.allSatisfy(\.isDone))])
        tr.start()
        try run([2, 1, 1, 3]) { _, done, _ in
            tr.emit("tied_wait_returned", ["done_nonempty_subset_of_tied": .bool(!done.isEmpty && Set(done).isSubset(of: [1, 2]))])
        }
    }

    static func s15(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let workers = Locked<[OSThreadID]>([])
        tr.start()
        try scoped(try subject.threadPool()) { executor in
            _ = try executor.submit {
                if let current = OSThreadID.current { workers.withLock { $0.append(current) } }
                sleepUnits(tr, 3)
            }
            tr.emit("print", "Elapsed time in seconds")
        }
        tr.emit("print", "Total time in seconds")
        tr.emit("workers_alive", .int(workers.value.filter(\.isAlive).count), timed: false)
    }

    /// The seed's thread-local program. `Thread.current.threadDictionary` is
    /// the `threading.local()`: per thread, whoever made the thread.
    static func threadLocalProgram(_ tr: Recorder, _ executor: any ConcurrentExecutor, sleeps: [Double], consume: (any ConcurrentExecutor, @escaping @Sendable (Int) -> String) throws -> Void) throws -> Int {
        let ids = Locked<[String]>([])
        let returnAfter: @Sendable (Int) -> String = { id in
            let local = Thread.current.threadDictionary
            if local["fixture.thread_local.id"] == nil {
                local["fixture.thread_local.id"] = UUID().uuidString
                tr.emit("thread_local_created", set: "tls")
            }
            sleepUnits(tr, sleeps[id])
            let mine = local["fixture.thread_local.id"] as? String ?? "?"
            ids.withLock { $0.append(mine) }
            tr.emit("print", .string("Task ID: \(id)"), set: "tasks@\(Int(sleeps[id]))")
            return "Return of \(id)"
        }
        try scoped(executor) { try consume($0, returnAfter) }
        return Set(ids.value).count
    }

    static func s16(_ tr: Recorder, _ subject: ReplaySubject) throws {
        tr.start()
        let unique = try threadLocalProgram(tr, try subject.threadPool(2), sleeps: Array(repeating: 1, count: 6)) { executor, fn in
            _ = try executor.map(0..<6, fn)  // never read, as in the seed
        }
        tr.emit("unique_thread_ids", .int(unique))
    }

    static func x08(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let unique = try threadLocalProgram(tr, try subject.threadPool(2), sleeps: Array(repeating: 0, count: 6)) { executor, fn in
            for n in 0..<6 { _ = try executor.submit { fn(n) }.result() }
        }
        tr.emit("unique_thread_ids", .int(unique), timed: false)
    }

    static func s17(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let wait = tr.unit * 100
        // GIL-001: two increments forced to interleave at their yield.
        let counter = Locked(0)
        let aRead = Latch(count: 1), bRead = Latch(count: 1), aWrote = Latch(count: 1)
        try scoped(try subject.threadPool(2)) { executor in
            let a = try executor.submit {
                let value = counter.value
                aRead.arrive()
                bRead.wait(timeout: wait)
                counter.withLock { $0 = value + 1 }
                aWrote.arrive()
            }
            let b = try executor.submit {
                aRead.wait(timeout: wait)
                let value = counter.value
                bRead.arrive()
                aWrote.wait(timeout: wait)
                counter.withLock { $0 = value + 1 }
            }
            try a.result()
            try b.result()
        }
        tr.emit("interleaved_increments", ["expected": 2, "final": .int(counter.value)], timed: false)
        // GIL-002: 4 threads x 200 locked read-yield-write increments.
        let total = Locked(0)
        let start = Latch(count: 4)
        try scoped(try subject.threadPool(4)) { executor in
            let futures = try (0..<4).map { _ in
                try executor.submit {
                    start.arrive()
                    start.wait(timeout: wait)
                    for _ in 0..<200 {
                        total.withLock { count in
                            let value = count
                            sched_yield()
                            count = value + 1
                        }
                    }
                }
            }
            for future in futures { try future.result() }
        }
        tr.emit("locked_increments", .int(total.value), timed: false)
        // GIL-003: opposite lock order; each timed acquire (1 unit) fails.
        let lock1 = DispatchSemaphore(value: 1), lock2 = DispatchSemaphore(value: 1)
        let hold = Latch(count: 2), tried = Latch(count: 2)
        let timeout = Int((tr.unit / .nanoseconds(1)).rounded())
        @Sendable func take(_ first: DispatchSemaphore, _ second: DispatchSemaphore) -> Bool {
            first.wait()
            defer { first.signal() }
            hold.arrive()
            hold.wait(timeout: wait)
            let got = second.wait(timeout: .now() + .nanoseconds(timeout)) == .success
            if got { second.signal() }
            tried.arrive()
            tried.wait(timeout: wait)
            return got
        }
        try scoped(try subject.threadPool(2)) { executor in
            let results = [try executor.submit { take(lock1, lock2) }, try executor.submit { take(lock2, lock1) }]
            tr.emit("opposite_order_acquires", .array(try results.map { .bool(try $0.result()) }), timed: false)
        }
        // GIL-004: four sleeping threads overlap.
        tr.start()
        try scoped(try subject.threadPool(4)) { executor in
            for future in try (0..<4).map({ _ in try executor.submit { sleepUnits(tr, 1) } }) { try future.result() }
        }
        tr.emit("four_sleeps_done")
    }

    static func s18(_ tr: Recorder, _ subject: ReplaySubject) throws {
        try scoped(try subject.processPool(1)) { executor in
            let local: @Sendable () -> Int = { 1 }
            let future = try executor.submit(local)
            do {
                _ = try future.result(timeout: tr.unit * 300)
                tr.emit("local_callable", ["error": nil], timed: false)
            } catch {
                tr.emit("local_callable", ["error": .string(errorName(error))], timed: false)
            }
            tr.emit("afterwards", .bool(try executor.submit(IsPrime(97)).result(timeout: tr.unit * 300)), timed: false)
        }
    }

    static func s19(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        scoped(try subject.threadPool()) { threads in
            tr.emit("thread_pool_default", ["is_min_32_cpu_plus_4": .bool(threads.maxWorkers == min(32, cpus + 4)),
                                            "is_cpu_count": .bool(threads.maxWorkers == cpus)], timed: false)
        }
        scoped(try subject.processPool()) { processes in
            tr.emit("process_pool_default", ["is_cpu_count": .bool(processes.maxWorkers == cpus)], timed: false)
        }
    }

    // MARK: Semantics

    static func m01(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let future = subject.future(String.self)
        for (name, fail) in [("cb1", false), ("cb2", true), ("cb3", false)] {
            future.addDoneCallback { f in
                tr.emit("callback", ["name": .string(name), "done": .bool(f.isDone)], timed: false)
                if fail { throw ValueError(argument: 2) }
            }
        }
        tr.emit("set_result", timed: false)
        try future.setResult("v")
        tr.emit("set_result_returned", ["result": .string(try future.result(timeout: .zero))], timed: false)
        future.addDoneCallback { f in tr.emit("callback", ["name": "late", "done": .bool(f.isDone)], timed: false) }
        tr.emit("add_done_callback_returned", timed: false)
    }

    static func m02(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let f = subject.future(Int.self)
        tr.emit("cancel_pending", .bool(f.cancel()), timed: false)
        tr.emit("cancel_again", .bool(f.cancel()), timed: false)
        tr.emit("state", ["cancelled": .bool(f.isCancelled), "done": .bool(f.isDone), "running": .bool(f.isRunning)], timed: false)
        for (what, call) in [("result", { _ = try f.result(timeout: .zero) }), ("set_result", { try f.setResult(1) })] as [(String, () throws -> Void)] {
            do {
                try call()
                tr.emit(what, nil, timed: false)
            } catch {
                tr.emit(what, ["error": .string(errorName(error))], timed: false)
            }
        }
        tr.emit("set_running_on_cancelled", .bool(try f.setRunningOrNotifyCancel()), timed: false)
        let g = subject.future(Int.self)
        tr.emit("set_running_on_pending", .bool(try g.setRunningOrNotifyCancel()), timed: false)
        tr.emit("cancel_running", .bool(g.cancel()), timed: false)
        try g.setResult(2)
        tr.emit("cancel_finished", .bool(g.cancel()), timed: false)
        do {
            try g.setResult(3)
        } catch {
            tr.emit("set_result_twice", ["error": .string(errorName(error)), "result": .int(try g.result(timeout: .zero))], timed: false)
        }
    }

    static func m03(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let release = Latch(count: 1)
        let wait = tr.unit * 100
        var futures: [any ConcurrentFuture<Int>] = []
        try scoped(try subject.threadPool(1)) { executor in
            futures = try (0..<5).map { n in
                try executor.submit {
                    tr.emit("start", .int(n), timed: false)
                    if n == 0 { release.wait(timeout: wait) }
                    return n
                }
            }
            let deadline = ContinuousClock.now + wait
            while !futures[0].isRunning, ContinuousClock.now < deadline { sched_yield() }
            tr.emit("states", .array(futures.map { [.bool($0.isRunning), .bool($0.isDone)] }), timed: false)
            tr.emit("cancel_running", .bool(futures[0].cancel()), timed: false)
            tr.emit("cancel_queued", .bool(futures[2].cancel()), timed: false)
            release.arrive()
        }
        tr.emit("outcomes", .array(futures.map { outcome($0, JSON.int) }), timed: false)
    }

    static func m04(_ tr: Recorder, _ subject: ReplaySubject) throws {
        let started = Latch(count: 1)
        tr.start()
        let executor = try subject.threadPool(1)
        let job: @Sendable (Int) -> Int = { n in
            started.arrive()
            sleepUnits(tr, 1)
            return n
        }
        let futures = try (0..<5).map { n in try executor.submit { job(n) } }
        started.wait(timeout: tr.unit * 100)
        executor.shutdown(wait: true, cancelFutures: true)
        tr.emit("shutdown_returned", .array(futures.map { outcome($0, JSON.int) }))
        do {
            _ = try executor.submit { job(5) }
        } catch {
            tr.emit("submit_after_shutdown", ["error": .string(errorName(error))], timed: false)
        }
        executor.shutdown(wait: true)
        tr.emit("second_shutdown_returned", timed: false)
    }

    static func m05(_ tr: Recorder, _ subject: ReplaySubject) throws {
        tr.start()
        var executor = try subject.threadPool(1)
        var future = try executor.submit { sleepUnits(tr, 2) }
        executor.shutdown(wait: false)
        tr.emit("shutdown_returned", ["done": .bool(future.isDone)])
        try future.result()
        tr.emit("call_done", ["cancelled": .bool(future.isCancelled)])
        tr.start()
        executor = try subject.threadPool(1)
        future = try executor.submit { sleepUnits(tr, 1) }
        executor.shutdown(wait: true)
        tr.emit("joining_shutdown_returned", ["done": .bool(future.isDone)])
    }

    static func m06(_ tr: Recorder, _ subject: ReplaySubject) throws {
        try scoped(try subject.threadPool(4)) { executor in
            func after(_ seconds: Int, fail: Bool = false) throws -> any ConcurrentFuture<Int> {
                try executor.submit {
                    sleepUnits(tr, Double(seconds))
                    if fail { throw ValueError(argument: seconds) }
                    return seconds
                }
            }
            let wait = subject.executors
            tr.start()
            var fs = try [1, 2, 3].map { try after($0) }
            var (done, notDone) = wait.wait(fs, timeout: nil, returnWhen: .allCompleted)
            tr.emit("all_completed", ["done": .int(done.count), "not_done": .int(notDone.count)])
            tr.start()
            fs = try [1, 5].map { try after($0) }
            (done, notDone) = wait.wait(fs, timeout: tr.unit * 2, returnWhen: .allCompleted)
            tr.emit("timeout", ["done": .array(try done.map { try $0.result() }.sorted().map(JSON.int)), "not_done": .int(notDone.count)])
            for f in fs { _ = try f.result() }
            tr.start()
            fs = [try after(1, fail: true), try after(3)]
            (done, notDone) = wait.wait(fs, timeout: nil, returnWhen: .firstException)
            tr.emit("first_exception", ["done": .int(done.count), "not_done": .int(notDone.count)])
            _ = wait.wait(fs, timeout: nil, returnWhen: .allCompleted)
            tr.start()
            (done, notDone) = wait.wait(fs + fs + fs, timeout: nil, returnWhen: .firstCompleted)
            tr.emit("already_satisfied_with_duplicates", ["done": .int(done.count), "not_done": .int(notDone.count)])
            (done, notDone) = wait.wait([], timeout: nil, returnWhen: .allCompleted)
            tr.emit("empty", ["done": .int(done.count), "not_done": .int(notDone.count)], timed: false)
        }
    }

    static func m07(_ tr: Recorder, _ subject: ReplaySubject) throws {
        try scoped(try subject.threadPool(2)) { executor in
            let ready = subject.future(String.self)
            try ready.setResult("ready")
            let quick = try executor.submit { sleepUnits(tr, 1); return "quick" }
            let slow = try executor.submit { sleepUnits(tr, 6); return "slow" }
            tr.start()
            let completions = subject.executors.asCompleted([slow, quick, ready, quick], timeout: tr.unit * 2)
            do {
                while let future = try completions.next() { tr.emit("yielded", .string(try future.result())) }
            } catch {
                tr.emit("raised", ["error": .string(errorName(error))])
            }
            slow.cancel()
        }
    }

    static func m08(_ tr: Recorder, _ subject: ReplaySubject) throws {
        try scoped(try subject.threadPool(2)) { executor in
            tr.start()
            let results = try executor.map([1.0, 5.0], timeout: tr.unit * 2, chunksize: 1) { sleepUnits(tr, $0) }
            do {
                while try results.next() != nil { tr.emit("value", nil) }
            } catch {
                tr.emit("raised", ["error": .string(errorName(error))])
            }
        }
    }
}

/// PRIMES, read from Fixtures/primes.json: the input CPython's s12 used.
func sharedPrimes() throws -> [Int] {
    let data = try Data(contentsOf: GoldenTrace.directory.appendingPathComponent("primes.json"))
    guard case .array(let values)? = try JSONDecoder().decode(JSON.self, from: data)["PRIMES"] else {
        throw TraceError("primes.json has no PRIMES")
    }
    return values.compactMap(\.int)
}

import ConcurrencySpec
import Foundation

/// The MAP group: `Executor.map`.
enum MapClauses {
    static let all: [ClauseDefinition] = [map001, map002, map003, map004, map005, map006, map007, map008, map009]

    static let map001 = ClauseDefinition(
        id: "MAP-001", contract: .executor, level: .must,
        statement: "map yields the result values in input order, whatever the order in which the calls complete.",
        source: "CF-DOC Executor.map; SEED §concurrent.futures (a map over futures — imprecise)",
        method: "Three workers; the calls take 1.5, 1 and 0.5 units, so they complete in reverse order; collect.",
        hint: "Look at the order map reads its futures in: input order, not completion order.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 3)
            let unit = ctx.units(1)
            let values = ctx.expectNoThrow("collecting the map") {
                try pool.map([0, 1, 2]) { index -> Int in
                    Thread.sleep(forTimeInterval: (unit * (1.5 - 0.5 * Double(index))).seconds)
                    return index * 10
                }.collect()
            }
            ctx.expect(values == [0, 10, 20], "map yielded \(String(describing: values)), want [0, 10, 20]")
        }
    )

    static let map002 = ClauseDefinition(
        id: "MAP-002", contract: .executor, level: .must,
        statement: "map submits every call before it returns, so every call runs even if the results are never read.",
        source: "CF-DOC Executor.map (the iterables are collected immediately)",
        method: "Map six counting jobs and drop the results unread; shut down with wait and read the count.",
        hint: "Look for a map that submits lazily, as the results are read.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let count = Locked(0)
            _ = try pool.map(0..<6) { _ in count.withLock { $0 += 1 } }
            pool.shutdown(wait: true)
            ctx.expect(count.value == 6, "\(count.value) of 6 calls ran when the results were never read")
        }
    )

    static let map003 = ClauseDefinition(
        id: "MAP-003", contract: .executor, level: .must,
        statement: "map runs its calls concurrently, up to maxWorkers at once.",
        source: "CF-DOC Executor.map",
        method: "Three workers map calls of 3, 1 and 2 units; time the collection.",
        timingRule: "≥ 3 units and < 5 units (one after the other they take 6)",
        hint: "Look for a map that waits for each call before submitting the next.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 3)
            let unit = ctx.units(1)
            let (values, elapsed) = ctx.measure {
                ctx.expectNoThrow("collecting the map") {
                    try pool.map([3.0, 1.0, 2.0]) { units -> Double in
                        Thread.sleep(forTimeInterval: (unit * units).seconds)
                        return units
                    }.collect()
                }
            }
            ctx.expect(values == [3, 1, 2], "map yielded \(String(describing: values))")
            ctx.expectAtLeast(elapsed, ctx.units(3), "map over 3, 1 and 2 units")
            ctx.expectBelow(elapsed, ctx.units(5), "map over 3, 1 and 2 units on three workers")
        }
    )

    static let map004 = ClauseDefinition(
        id: "MAP-004", contract: .executor, level: .must,
        statement: "If a call throws, reading its element rethrows that error after every earlier result, and the iteration is then over.",
        source: "CF-DOC Executor.map",
        method: "Map 0..<5 with a call that throws an error object for 2; read until the error, then once more.",
        hint: "Look at next(): results in input order, the error at its own place, then the end.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let error = ProbeError("MAP-004")
            let results = try pool.map(0..<5) { value -> Int in
                if value == 2 { throw error }
                return value
            }
            ctx.expect((try? results.next()) == 0, "the first element is not 0")
            ctx.expect((try? results.next()) == 1, "the second element is not 1")
            ctx.expectRethrows(error, "reading the third element") { try results.next() }
            if case let value?? = ctx.expectNoThrow("reading after the error", { try results.next() }) {
                ctx.fail("the iteration went on after the error with \(value)")
            }
        }
    )

    static let map005 = ClauseDefinition(
        id: "MAP-005", contract: .executor, level: .must,
        statement: "With a timeout, reading throws a timeout error once the timeout has passed since the map call, not since the previous result.",
        source: "CF-DOC Executor.map",
        method: "Two workers map calls of 2.5 and 10 units with a 3-unit timeout; read the first result, then time the failing read from the map call.",
        timingRule: "the timeout is raised ≥ 3 units and < 4.5 units after the map call (a per-item timeout would raise it at 5.5)",
        hint: "Look at where the deadline is computed: once, when map is called.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let unit = ctx.units(1)
            let clock = ContinuousClock()
            let start = clock.now
            let results = try pool.map([2.5, 10], timeout: ctx.units(3), chunksize: 1) { units -> Double in
                Thread.sleep(forTimeInterval: (unit * units).seconds)
                return units
            }
            ctx.expect((try? results.next()) == 2.5, "the first result did not arrive in time")
            ctx.expectThrows(.timeout, "reading the 10-unit result") { try results.next() }
            let elapsed = clock.now - start
            ctx.expectAtLeast(elapsed, ctx.units(3), "the timeout")
            ctx.expectBelow(elapsed, ctx.units(4.5), "the timeout, counted from the map call,")
        }
    )

    static let map006 = ClauseDefinition(
        id: "MAP-006", contract: .executor, level: .must,
        statement: "map yields exactly one result per input element, stopping at the shortest of zipped inputs, and nothing for empty input.",
        source: "CF-DOC Executor.map (zip-style iterables)",
        method: "Map 0..<7; map zip([1, 2, 3], [10, 20]) with addition; map an empty array with a counting call.",
        hint: "Look for elements lost or added at the edges of the input.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let seven = ctx.expectNoThrow("map over 0..<7") { try pool.map(0..<7) { $0 }.collect() }
            ctx.expect(seven == Array(0..<7), "map over 0..<7 gave \(String(describing: seven))")
            let pairs = Array(zip([1, 2, 3], [10, 20]))
            let sums = ctx.expectNoThrow("map over a zip") { try pool.map(pairs) { $0.0 + $0.1 }.collect() }
            ctx.expect(sums == [11, 22], "map over zip([1, 2, 3], [10, 20]) gave \(String(describing: sums))")
            let calls = Locked(0)
            let none: [Int]? = ctx.expectNoThrow("map over nothing") {
                try pool.map([Int]()) { value -> Int in
                    calls.withLock { $0 += 1 }
                    return value
                }.collect()
            }
            pool.shutdown(wait: true)
            ctx.expect(none?.isEmpty == true && calls.value == 0, "map over nothing gave \(String(describing: none)) after \(calls.value) calls")
        }
    )

    static let map007 = ClauseDefinition(
        id: "MAP-007", contract: .executor, level: .must,
        statement: "chunksize never changes the results or their order.",
        source: "CF-DOC Executor.map (chunksize); CPython process.py",
        method: "Map 0..<10 with chunk sizes 1, 3 and 100 and compare.",
        hint: "Look at how map splits its input into chunks, and at the last, shorter chunk.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            for chunksize in [1, 3, 100] {
                let values = ctx.expectNoThrow("map with chunksize \(chunksize)") {
                    try pool.map(0..<10, timeout: nil, chunksize: chunksize) { $0 * $0 }.collect()
                }
                ctx.expect(values == (0..<10).map { $0 * $0 }, "chunksize \(chunksize) gave \(String(describing: values))")
            }
        }
    )

    static let map008 = ClauseDefinition(
        id: "MAP-008", contract: .executor, level: .should,
        statement: "Closing the results after reading has begun cancels the calls that have not started.",
        source: "CPython 3.11 _base.py Executor.map (result_iterator's finally cancels)",
        method: "One worker maps six half-unit calls that log their start; read one result, close, shut down with wait, count the calls that started.",
        hint: "Look at close() (and deinit) of the results: they must cancel what has not started.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let started = Locked(0)
            let pause = ctx.units(0.5)
            let results = try pool.map(0..<6) { value -> Int in
                started.withLock { $0 += 1 }
                Thread.sleep(forTimeInterval: pause.seconds)
                return value
            }
            _ = try? results.next()
            results.close()
            pool.shutdown(wait: true)
            let cancelled = results.underlyingFutures.filter(\.isCancelled).count
            ctx.expect(started.value <= 2, "\(started.value) of 6 calls started although the results were closed after the first")
            ctx.expect(cancelled >= 4, "only \(cancelled) calls were cancelled by close()")
        }
    )

    static let map009 = ClauseDefinition(
        id: "MAP-009", contract: .executor, level: .must,
        statement: "After a timeout the iteration is over: the next read returns the end, and the calls that had not started are cancelled.",
        source: "CPython 3.11 _base.py Executor.map (an exception ends the generator; its finally cancels)",
        method: "One worker maps a 4-unit call and five quick counting calls with a 1-unit timeout; read until the timeout, read again, shut down, count.",
        timingRule: "the timeout of 1 unit fires well before the 4-unit call ends",
        hint: "Look at what next() does after throwing the timeout.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let quick = Locked(0)
            let unit = ctx.units(1)
            let results = try pool.map(0..<6, timeout: ctx.units(1), chunksize: 1) { value -> Int in
                if value == 0 { Thread.sleep(forTimeInterval: (unit * 4).seconds) } else { quick.withLock { $0 += 1 } }
                return value
            }
            let error = ctx.expectThrows(.timeout, "reading past the timeout") { try results.next() }
            if case ConcurrencyError.timeout(let unfinished)? = error {
                ctx.expect(unfinished == 6, "the timeout error counts \(String(describing: unfinished)) unfinished results, not 6")
            }
            if case let value?? = ctx.expectNoThrow("reading after the timeout", { try results.next() }) {
                ctx.fail("the iteration went on after the timeout with \(value)")
            }
            pool.shutdown(wait: true)
            ctx.expect(quick.value == 0, "\(quick.value) calls that had not started ran after the timeout")
        }
    )
}

import ConcurrencySpec
import Foundation

/// The MAP group: `Executor.map`.
enum MapClauses {
    static let all: [ClauseDefinition] = [map001, map002, map003, map004, map005, map006, map007, map008, map009]

    static let map001 = ClauseDefinition(
        id: "MAP-001", contract: .executor, level: .must,
        statement: "map yields the result values in input order, whatever the order in which the calls complete.",
        source: "CF-DOC Executor.map; SEED §concurrent.futures (a map over futures — imprecise)",
        method: "Three started workers; the calls take 1.5, 1 and 0.5 units, so they complete in reverse order; collect.",
        hint: "Look at the order map reads its futures in: input order, not completion order.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeWarmExecutor(maxWorkers: 3)
            let calls = (0..<3).map { index in ctx.sleeper(1.5 - 0.5 * Double(index), index * 10) }
            let values = ctx.expectNoThrow("collecting the map") {
                try pool.map(calls).collect()
            }
            ctx.expect(values == [0, 10, 20], "map yielded \(String(describing: values)), want [0, 10, 20]")
        }
    )

    static let map002 = ClauseDefinition(
        id: "MAP-002", contract: .executor, level: .must,
        statement: "map submits every call before it returns, so every call runs even if the results are never read.",
        source: "CF-DOC Executor.map (the iterables are collected immediately)",
        method: "Map six jobs that count their runs on a board and drop the results unread; shut down with wait and read the count.",
        hint: "Look for a map that submits lazily, as the results are read.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let board = try ctx.makeBoard()
            _ = try pool.map((0..<6).map { Probe(board: board, [.bump("calls")], value: $0) })
            pool.shutdown(wait: true)
            let count = board.count("calls")
            ctx.expect(count == 6, "\(count) of 6 calls ran when the results were never read")
        }
    )

    static let map003 = ClauseDefinition(
        id: "MAP-003", contract: .executor, level: .must,
        statement: "map runs its calls concurrently, up to maxWorkers at once.",
        source: "CF-DOC Executor.map",
        method: "Three started workers map calls of 3, 1 and 2 units; time the collection.",
        timingRule: "≥ 3 units and < 5 units (one after the other they take 6)",
        hint: "Look for a map that waits for each call before submitting the next.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeWarmExecutor(maxWorkers: 3)
            let (values, elapsed) = ctx.measure {
                ctx.expectNoThrow("collecting the map") {
                    try pool.map([3, 1, 2].map { ctx.sleeper(Double($0), $0) }).collect()
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
        method: "Map 0..<5 with a call that throws an error unique to it for 2; read until the error, then once more.",
        hint: "Look at next(): results in input order, the error at its own place, then the end.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let error = ctx.uniqueFailure("MAP-004")
            let calls = (0..<5).map { value in value == 2 ? Probe([.fail(error.message)]) : ctx.sleeper(0, value) }
            let results = try pool.map(calls)
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
        method: "Two started workers map calls of 2.5 and 10 units with a 3-unit timeout; read the first result, then time the failing read from the map call.",
        timingRule: "the timeout is raised ≥ 3 units and < 4.5 units after the map call (a per-item timeout would raise it at 5.5)",
        hint: "Look at where the deadline is computed: once, when map is called.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeWarmExecutor(maxWorkers: 2)
            let clock = ContinuousClock()
            let start = clock.now
            let results = try pool.map([ctx.sleeper(2.5, 25), ctx.sleeper(10, 100)], timeout: ctx.units(3), chunksize: 1)
            ctx.expect((try? results.next()) == 25, "the first result did not arrive in time")
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
        method: "Map 0..<7; map zip([1, 2, 3], [10, 20]) with addition; map an empty array of calls.",
        hint: "Look for elements lost or added at the edges of the input.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let seven = ctx.expectNoThrow("map over 0..<7") {
                try pool.map((0..<7).map { ctx.sleeper(0, $0) }).collect()
            }
            ctx.expect(seven == Array(0..<7), "map over 0..<7 gave \(String(describing: seven))")
            let sums = ctx.expectNoThrow("map over a zip") {
                try pool.map(zip([1, 2, 3], [10, 20]).map { ctx.sleeper(0, $0 + $1) }).collect()
            }
            ctx.expect(sums == [11, 22], "map over zip([1, 2, 3], [10, 20]) gave \(String(describing: sums))")
            let none: [Int]? = ctx.expectNoThrow("map over nothing") {
                try pool.map([Probe]()).collect()
            }
            ctx.expect(none?.isEmpty == true, "map over nothing gave \(String(describing: none))")
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
                    try pool.map((0..<10).map { ctx.sleeper(0, $0 * $0) }, timeout: nil, chunksize: chunksize).collect()
                }
                ctx.expect(values == (0..<10).map { $0 * $0 }, "chunksize \(chunksize) gave \(String(describing: values))")
            }
        }
    )

    static let map008 = ClauseDefinition(
        id: "MAP-008", contract: .executor, level: .should,
        statement: "Closing the results after reading has begun cancels the calls that have not started.",
        source: "CPython 3.11 _base.py Executor.map (result_iterator's finally cancels)",
        method: "One worker maps six half-unit calls that log their start on a board; read one result, close, and read every future's state at once; shut down with wait and read the log.",
        hint: "Look at close() (and deinit) of the results: they must cancel what has not started.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let board = try ctx.makeBoard()
            let pause = ctx.units(0.5).seconds
            let calls = (0..<6).map { Probe(board: board, [.record("started", tag: $0), .sleep(pause)], value: $0) }
            let results = try pool.map(calls)
            _ = try? results.next()
            results.close()
            // "Not started" is what the futures say: a queued call is pending.
            // A pool may hand calls to a worker ahead of time (a process
            // pool's call queue); those report running and cannot be
            // cancelled, by Python's rules too.
            let futures = results.underlyingFutures
            let pending = futures.indices.filter { futures[$0].state == .pending }
            pool.shutdown(wait: true)
            let cancelled = Set(futures.indices.filter { futures[$0].isCancelled })
            let started = Set(board.records("started").map(\.tag))
            ctx.expect(pending.isEmpty, "calls \(pending) were still pending after close()")
            ctx.expect(started.isDisjoint(with: cancelled), "calls \(started.intersection(cancelled).sorted()) started although close() cancelled them")
            ctx.expect(started.union(cancelled) == Set(0..<6), "calls \(Set(0..<6).subtracting(started.union(cancelled)).sorted()) neither ran nor were cancelled")
        }
    )

    static let map009 = ClauseDefinition(
        id: "MAP-009", contract: .executor, level: .must,
        statement: "After a timeout the iteration is over: the next read returns the end, and the calls that had not started are cancelled.",
        source: "CPython 3.11 _base.py Executor.map (an exception ends the generator; its finally cancels)",
        method: "One worker maps a 4-unit call and five quick calls that log their run on a board, with a 1-unit timeout; read until the timeout and read every future's state at once, read again, shut down, read the log.",
        timingRule: "the timeout of 1 unit fires well before the 4-unit call ends",
        hint: "Look at what next() does after throwing the timeout.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let board = try ctx.makeBoard()
            let calls = (0..<6).map { value in
                value == 0 ? ctx.sleeper(4, 0) : Probe(board: board, [.record("quick", tag: value)], value: value)
            }
            let results = try pool.map(calls, timeout: ctx.units(1), chunksize: 1)
            let error = ctx.expectThrows(.timeout, "reading past the timeout") { try results.next() }
            // As in MAP-008: a call handed to a worker ahead of time reports
            // running; only pending ones are "not started".
            let futures = results.underlyingFutures
            let pending = futures.indices.filter { futures[$0].state == .pending }
            if case ConcurrencyError.timeout(let unfinished)? = error {
                ctx.expect(unfinished == 6, "the timeout error counts \(String(describing: unfinished)) unfinished results, not 6")
            }
            if case let value?? = ctx.expectNoThrow("reading after the timeout", { try results.next() }) {
                ctx.fail("the iteration went on after the timeout with \(value)")
            }
            pool.shutdown(wait: true)
            let cancelled = Set(futures.indices.filter { futures[$0].isCancelled })
            let ran = Set(board.records("quick").map(\.tag))
            ctx.expect(pending.isEmpty, "calls \(pending) were still pending after the timeout, not cancelled")
            ctx.expect(ran.isDisjoint(with: cancelled), "calls \(ran.intersection(cancelled).sorted()) ran although the timeout cancelled them")
        }
    )
}

import ConcurrencySpec
import Foundation

extension CheckContext {
    /// Futures whose jobs sleep the given numbers of units and return their
    /// index, on `pool` or else a new pool with a started worker for each
    /// (see ``warmUp(_:workers:)``), so that the durations, not the workers'
    /// start-up, decide when each completes.
    func sleepers(_ durations: [Double], on pool: (any ConcurrentExecutor)? = nil) throws -> [any ConcurrentFuture<Int>] {
        let pool = try pool ?? makeWarmExecutor(maxWorkers: durations.count)
        return try durations.enumerated().map { index, units in try pool.submit(sleeper(units, index)) }
    }

    /// The indices of `futures` within `all`.
    func indices(_ futures: [any ConcurrentFuture<Int>], in all: [any ConcurrentFuture<Int>]) -> [Int] {
        futures.compactMap { future in all.firstIndex { $0 === future } }
    }
}

/// The WAIT and ASC groups: `concurrent.futures.wait` and `as_completed`.
enum WaitClauses {
    static let all: [ClauseDefinition] = [
        wait001, wait002, wait003, wait004, wait005, wait006, wait008, wait009,
        asc001, asc002, asc003, asc004, asc006, asc009,
    ]

    static let wait001 = ClauseDefinition(
        id: "WAIT-001", contract: .executor, level: .must,
        statement: "wait with allCompleted returns once every future is done, with nothing left in notDone.",
        source: "CF-DOC wait",
        method: "Three futures taking 1, 2 and 3 units; wait without a timeout.",
        timingRule: "returns ≥ 3 units after the submits",
        hint: "Look at the return condition of allCompleted.",
        requires: [.executor],
        check: .blocking { ctx in
            let (split, elapsed) = try ctx.measure { () -> (done: [any ConcurrentFuture<Int>], notDone: [any ConcurrentFuture<Int>]) in
                let futures = try ctx.sleepers([1, 2, 3])
                return ctx.wait(futures)
            }
            ctx.expect(split.done.count == 3 && split.notDone.isEmpty, "wait returned \(split.done.count) done and \(split.notDone.count) not done")
            ctx.expectAtLeast(elapsed, ctx.units(3), "wait(allCompleted) over 1, 2 and 3 units")
        }
    )

    static let wait002 = ClauseDefinition(
        id: "WAIT-002", contract: .executor, level: .must,
        statement: "wait with a timeout returns after about that timeout with the futures partitioned by completion, and does not throw.",
        source: "CF-DOC wait",
        method: "A 0.5-unit and a 6-unit future; wait with a 2-unit timeout.",
        timingRule: "returns ≥ 2 units and < 4 units after the call (the slow future needs 6)",
        hint: "Look at how the timeout ends the wait.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let futures = try ctx.sleepers([0.5, 6])
            let (split, elapsed) = ctx.measure { ctx.wait(futures, timeout: ctx.units(2)) }
            ctx.expect(ctx.indices(split.done, in: futures) == [0] && ctx.indices(split.notDone, in: futures) == [1],
                       "wait partitioned the futures as done \(ctx.indices(split.done, in: futures)), not done \(ctx.indices(split.notDone, in: futures))")
            ctx.expectAtLeast(elapsed, ctx.units(2), "wait with a 2-unit timeout")
            ctx.expectBelow(elapsed, ctx.units(4), "wait with a 2-unit timeout")
        }
    )

    static let wait003 = ClauseDefinition(
        id: "WAIT-003", contract: .executor, level: .must,
        statement: "wait with firstCompleted returns as soon as one future completes, with it in done.",
        source: "CF-DOC wait; SEED §concurrent.futures wait example",
        method: "Futures of 1, 3 and 5 units (two units apart, so no tie); wait with firstCompleted.",
        timingRule: "returns ≥ 1 unit and < 3 units after the submits",
        hint: "Look at the return condition of firstCompleted.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeWarmExecutor(maxWorkers: 3)
            let (result, elapsed) = try ctx.measure { () -> ([Int], [Int]) in
                let futures = try ctx.sleepers([1, 3, 5], on: pool)
                let split = ctx.wait(futures, returnWhen: .firstCompleted)
                return (ctx.indices(split.done, in: futures), ctx.indices(split.notDone, in: futures))
            }
            ctx.expect(result.0 == [0] && result.1 == [1, 2], "wait(firstCompleted) gave done \(result.0), not done \(result.1)")
            ctx.expectAtLeast(elapsed, ctx.units(1), "wait(firstCompleted)")
            ctx.expectBelow(elapsed, ctx.units(3), "wait(firstCompleted)")
        }
    )

    static let wait004 = ClauseDefinition(
        id: "WAIT-004", contract: .executor, level: .must,
        statement: "wait with firstException returns as soon as a future fails, and behaves like allCompleted when none fails.",
        source: "CF-DOC wait",
        method: "A call that throws after 1 unit and two 4-unit calls; then three calls that all succeed.",
        timingRule: "with a failure: returns ≥ 1 unit and < 3 units; without: after every call",
        hint: "Look at the return condition of firstException, and at how a failed future is recognized.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let pool = try ctx.makeWarmExecutor(maxWorkers: 3)
            let (split, elapsed) = try ctx.measure { () -> (done: [any ConcurrentFuture<Int>], notDone: [any ConcurrentFuture<Int>]) in
                let failing = try pool.submit(Probe([.sleep(ctx.units(1).seconds), .fail("WAIT-004")]))
                let slow = try (0..<2).map { _ in try pool.submit(ctx.sleeper(4)) }
                return ctx.wait([failing] + slow, returnWhen: .firstException)
            }
            ctx.expect(split.done.count == 1 && split.notDone.count == 2, "wait(firstException) gave \(split.done.count) done and \(split.notDone.count) not done")
            ctx.expectAtLeast(elapsed, ctx.units(1), "wait(firstException) with a failure")
            ctx.expectBelow(elapsed, ctx.units(3), "wait(firstException) with a failure")
            let fine = try ctx.sleepers([0.5, 1, 1.5])
            let all = ctx.wait(fine, returnWhen: .firstException)
            ctx.expect(all.done.count == 3 && all.notDone.isEmpty, "wait(firstException) without failures returned \(all.done.count) done")
        }
    )

    static let wait005 = ClauseDefinition(
        id: "WAIT-005", contract: .executor, level: .must,
        statement: "If the return condition already holds, wait returns without blocking.",
        source: "CF-DOC wait; CPython _base.py",
        method: "A finished future and a 10-unit one: wait with firstCompleted and a 10-unit timeout; then allCompleted over finished futures.",
        timingRule: "each wait returns in < 2 units",
        hint: "Look for a wait that blocks before checking the condition.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let futures = try ctx.sleepers([0, 10])
            _ = try? futures[0].result(timeout: ctx.patience)
            let (split, elapsed) = ctx.measure { ctx.wait(futures, timeout: ctx.units(10), returnWhen: .firstCompleted) }
            ctx.expect(ctx.indices(split.done, in: futures) == [0], "wait(firstCompleted) gave done \(ctx.indices(split.done, in: futures))")
            ctx.expectBelow(elapsed, ctx.units(2), "wait(firstCompleted) with a future already done")
            let (_, allElapsed) = ctx.measure { ctx.wait([futures[0]], timeout: ctx.units(10)) }
            ctx.expectBelow(allElapsed, ctx.units(2), "wait(allCompleted) over a finished future")
        }
    )

    static let wait006 = ClauseDefinition(
        id: "WAIT-006", contract: .executor, level: .must,
        statement: "wait counts a repeated future once, and returns two empty sets at once for no futures.",
        source: "CF-DOC wait (fs is turned into a set)",
        method: "wait([f, f, f]); wait([]) with a 10-unit timeout.",
        hint: "Look at how wait collects its input.",
        requires: [.executor],
        check: .blocking { ctx in
            let future = try ctx.sleepers([0.2])[0]
            let split = ctx.wait([future, future, future])
            ctx.expect(split.done.count == 1 && split.notDone.isEmpty, "wait([f, f, f]) gave \(split.done.count) done and \(split.notDone.count) not done")
            let (empty, elapsed) = ctx.measure { ctx.wait([any ConcurrentFuture<Int>](), timeout: ctx.units(10)) }
            ctx.expect(empty.done.isEmpty && empty.notDone.isEmpty, "wait([]) returned futures")
            ctx.expectBelow(elapsed, ctx.units(5), "wait([]) with a 10-unit timeout")
        }
    )

    static let wait008 = ClauseDefinition(
        id: "WAIT-008", contract: .executor, level: .must,
        statement: "wait only observes: it neither starts nor cancels futures, and those left not done keep running to completion.",
        source: "CF-DOC wait; SEED §wait ('execute and wait for tasks' — imprecise)",
        method: "One worker held at a gate and a call queued behind it (the only kind cancel() can stop); wait for both with a 1-unit timeout, open the gate, read the queued call's result.",
        hint: "Look for a wait that cancels what it returns as not done.",
        requires: [.executor],
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let (pool, blocker) = (held.pool, held.holder)
            let queued = try pool.submit(ctx.sleeper(0, 1))
            let split = ctx.wait([blocker, queued], timeout: ctx.units(1))
            held.release()
            ctx.expect(split.notDone.count == 2, "wait with a timeout returned \(split.notDone.count) futures not done, want 2")
            ctx.expect(!queued.isCancelled, "wait cancelled a future it returned as not done")
            ctx.expect((try? queued.result(timeout: ctx.patience)) == 1, "the queued call did not complete with its value (\(queued.state))")
        }
    )

    static let wait009 = ClauseDefinition(
        id: "WAIT-009", contract: .executor, level: .should,
        statement: "A cancelled future counts as done for wait as soon as cancel() has returned true, as Python's documentation says (CPython waits for the executor to acknowledge it).",
        source: "CF-DOC wait vs CPython (cpython#92001, #109934)",
        method: "One worker held at a gate; cancel a queued future; wait for it with a 10-unit timeout.",
        timingRule: "returns in < 2 units with the cancelled future done",
        hint: "Look at how wait decides a future is done: cancelled counts.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let queued = try held.pool.submit(ctx.sleeper(0, 1))
            ctx.expect(queued.cancel(), "cancel() on a queued future returned false")
            let (split, elapsed) = ctx.measure { ctx.wait([queued], timeout: ctx.units(10)) }
            held.release()
            ctx.expect(split.done.count == 1, "wait left the cancelled future not done")
            ctx.expectBelow(elapsed, ctx.units(2), "wait over a cancelled future")
        }
    )

    static let asc001 = ClauseDefinition(
        id: "ASC-001", contract: .executor, level: .must,
        statement: "asCompleted yields each future as it completes, in completion order whatever the input order, and every future it yields is done.",
        source: "CF-DOC as_completed; SEED §as_completed example",
        method: "The seed's example: jobs sleeping 10, 8, 6, 4 and 2 units (two apart) return their index; read asCompleted.",
        timingRule: "completions are 2 units apart, so the order is unambiguous",
        hint: "Look at the order asCompleted hands futures out in: first completed, first out.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let futures = try ctx.sleepers([10, 8, 6, 4, 2])
            let iterator = ctx.asCompleted(futures, timeout: ctx.patience * 2)
            var order: [Int] = []
            var notDone = 0
            while let future = ctx.expectNoThrow("asCompleted", { try iterator.next() }) ?? nil {
                if !future.isDone { notDone += 1 }
                order.append(ctx.indices([future], in: futures).first ?? -1)
            }
            ctx.expect(order == [4, 3, 2, 1, 0], "asCompleted yielded \(order), want [4, 3, 2, 1, 0]")
            ctx.expect(notDone == 0, "asCompleted yielded \(notDone) futures that were not done")
        }
    )

    static let asc002 = ClauseDefinition(
        id: "ASC-002", contract: .executor, level: .must,
        statement: "Futures already done when asCompleted is called are yielded before any that are still pending.",
        source: "CF-DOC as_completed",
        method: "Finish one call first; then submit two calls held at a gate; asCompleted over [held, finished, held] must yield the finished one first, before the gate opens.",
        hint: "Look at how asCompleted treats futures that are done at the start.",
        requires: [.executor],
        check: .blocking { ctx in
            let pool = try ctx.makeExecutor(maxWorkers: 3)
            // The finished call runs first and alone, so that it is done
            // whatever the load, and the held ones stay pending until the
            // first read is over: no timing can blur which was done first.
            let board = try ctx.makeBoard()
            let finished = try pool.submit(ctx.sleeper(0, 1))
            _ = try? finished.result(timeout: ctx.patience)
            let held = try [0, 2].map { index in
                try pool.submit(Probe(board: board, [.wait("release", timeout: ctx.patience.seconds)], value: index))
            }
            let futures = [held[0], finished, held[1]]
            let iterator = ctx.asCompleted(futures, timeout: ctx.patience)
            let first = ctx.expectNoThrow("asCompleted") { try iterator.next() } ?? nil
            board.open("release")
            ctx.expect(first.map { $0 === finished } == true, "the first future yielded is not the one already done")
            var rest = 0
            while (ctx.expectNoThrow("asCompleted", { try iterator.next() }) ?? nil) != nil { rest += 1 }
            ctx.expect(rest == 2, "asCompleted yielded \(rest) futures after the first, not 2")
        }
    )

    static let asc003 = ClauseDefinition(
        id: "ASC-003", contract: .executor, level: .must,
        statement: "A future passed more than once is yielded once.",
        source: "CF-DOC as_completed (duplicates yielded once)",
        method: "asCompleted([f, f, f, g]); count what it yields.",
        hint: "Look at how asCompleted collects its input.",
        requires: [.executor],
        check: .blocking { ctx in
            let futures = try ctx.sleepers([0.5, 1])
            let iterator = ctx.asCompleted([futures[0], futures[0], futures[0], futures[1]], timeout: ctx.patience)
            var yielded = 0
            while (ctx.expectNoThrow("asCompleted", { try iterator.next() }) ?? nil) != nil { yielded += 1 }
            ctx.expect(yielded == 2, "asCompleted([f, f, f, g]) yielded \(yielded) futures, not 2")
        }
    )

    static let asc004 = ClauseDefinition(
        id: "ASC-004", contract: .executor, level: .must,
        statement: "With a timeout, reading asCompleted throws a timeout error once the timeout has passed since the call, after yielding the futures that completed in time.",
        source: "CF-DOC as_completed",
        method: "A 1-unit and a 10-unit future with a 3-unit timeout: read the quick one, then time the failing read from the call.",
        timingRule: "the timeout is raised ≥ 3 units and < 6 units after the call (the slow future needs 10)",
        hint: "Look at how asCompleted's deadline is kept across reads.",
        requires: [.executor], timing: .realTime,
        check: .blocking { ctx in
            let futures = try ctx.sleepers([1, 10])
            // From the call, as the statement says: starting the clock
            // before the pool is made and warmed let a slow warm-up (a
            // process pool's workers) eat into the upper bound.
            let clock = ContinuousClock()
            let start = clock.now
            let iterator = ctx.asCompleted(futures, timeout: ctx.units(3))
            let first = ctx.expectNoThrow("the first read") { try iterator.next() } ?? nil
            ctx.expect(first.map { ctx.indices([$0], in: futures) } == [0], "the first future yielded is not the quick one")
            ctx.expectThrows(.timeout, "reading past the timeout") { try iterator.next() }
            let elapsed = clock.now - start
            ctx.expectAtLeast(elapsed, ctx.units(3), "the timeout")
            ctx.expectBelow(elapsed, ctx.units(6), "the timeout")
        }
    )

    static let asc006 = ClauseDefinition(
        id: "ASC-006", contract: .executor, level: .should,
        statement: "A cancelled future is yielded as completed, as Python's documentation says (CPython waits for the executor to acknowledge it).",
        source: "CF-DOC as_completed vs CPython (cpython#87893)",
        method: "One worker held at a gate; cancel a queued future; read asCompleted over it with a 10-unit timeout.",
        hint: "Look at how asCompleted decides a future is done: cancelled counts.",
        requires: [.executor],
        check: .blocking { ctx in
            let held = try ctx.makeHeldPool()
            let queued = try held.pool.submit(ctx.sleeper(0, 1))
            queued.cancel()
            let iterator = ctx.asCompleted([queued], timeout: ctx.units(10))
            let yielded = ctx.expectNoThrow("asCompleted over a cancelled future") { try iterator.next() } ?? nil
            held.release()
            ctx.expect(yielded.map { $0 === queued } == true, "asCompleted did not yield the cancelled future")
        }
    )

    static let asc009 = ClauseDefinition(
        id: "ASC-009", contract: .executor, level: .must,
        statement: "asCompleted's timeout error counts the futures still unfinished, as Python's message does ('2 (of 3) futures unfinished').",
        source: "CPython 3.11 _base.py as_completed (TimeoutError message)",
        method: "One quick and two 10-unit futures with a 2-unit timeout: read the quick one, then inspect the timeout error.",
        hint: "Look at the count the timeout error is built with.",
        requires: [.executor],
        check: .blocking { ctx in
            let futures = try ctx.sleepers([0.2, 10, 10])
            let iterator = ctx.asCompleted(futures, timeout: ctx.units(2))
            _ = try? iterator.next()
            let error = ctx.expectThrows(.timeout, "reading past the timeout") { try iterator.next() }
            if case ConcurrencyError.timeout(let unfinished)? = error {
                ctx.expect(unfinished == 2, "the timeout error counts \(String(describing: unfinished)) unfinished futures, not 2")
            }
        }
    )
}

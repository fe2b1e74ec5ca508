import ConcurrencyPrimitives
import ConcurrencySpec
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The GIL group: what the seed says about threads and Python's Global
/// Interpreter Lock, turned into rules about the executor under test.
///
/// The seed claims the GIL "prevents race conditions and deadlocks" (wrong)
/// and that "only one thread can be executed at a time" (imprecise). Each
/// clause here is the statement that claim gets wrong, checked on the
/// executor's own threads so that a pool which does serialize its jobs behind
/// one lock (`mutant:globalInterpreterLock`) fails it.
enum GILClauses {
    /// Why the GIL group skips process pools: its rules are about threads
    /// that share one process's memory; PROC-009 states the process form of
    /// GIL-005.
    static let threadsOnly = "the GIL rules are about threads sharing one process's memory, and the checks share memory with their jobs; PROC-009 is the process-pool form of GIL-005"

    static let all: [ClauseDefinition] = [gil001, gil002, gil003, gil004, gil005]

    /// Jobs and increments per job in GIL-001 and GIL-002, as in the CPython
    /// trace the catalogue was measured from (4 × 200).
    static let jobs = 4
    static let increments = 200

    /// How long a job waits at a meeting latch before going on alone. Short,
    /// because a serializing pool pays it once per job; long enough that two
    /// jobs running at once always meet well inside it.
    static let meetingUnits = 5.0

    static let gil001 = ClauseDefinition(
        id: "GIL-001", contract: .executor, level: .must,
        statement: "Unsynchronized read–yield–write increments from 4 concurrent jobs on a 4-worker executor lose updates: the executor does not serialize its jobs behind a global lock.",
        source: "SEED §GIL ('prevents race conditions': wrong)",
        method: "Four jobs on 4 workers each make 200 unguarded increments (read, yield, write the value read + 1). In its first increment each job arrives at a 4-party latch between its read and its write and waits up to 5 units there, so any two jobs that run at once read the same value before either writes; expect fewer than 800.",
        hint: "Look for a lock held around every job (a global interpreter lock), or a pool that runs one job at a time whatever maxWorkers says.",
        requires: [.executor], excludes: [.processIsolation], exclusionReason: GILClauses.threadsOnly,
        timing: .exclusive, budgetUnits: 60,
        check: .blocking { ctx in
            let total = jobs * increments
            let (finished, final) = try runIncrements(ctx) { counter, meeting, patience in
                for round in 0..<increments {
                    // Each access is locked (no data race in Swift's sense),
                    // but nothing makes the read-then-write atomic: that is
                    // the point.
                    let value = counter.value
                    if round == 0 {
                        meeting.arrive()
                        meeting.wait(timeout: patience)
                    } else {
                        sched_yield()
                    }
                    counter.withLock { $0 = value + 1 }
                }
            }
            ctx.expect(finished == jobs, "only \(finished) of the \(jobs) jobs finished")
            ctx.expect(
                final < total,
                "\(jobs) × \(increments) unguarded increments gave \(final): no update was lost, so the jobs never overlapped between a read and its write"
            )
        }
    )

    static let gil002 = ClauseDefinition(
        id: "GIL-002", contract: .executor, level: .must,
        statement: "The same increments guarded by a lock never lose an update: 4 jobs × 200 increments on a 4-worker executor count exactly 800.",
        source: "THR Lock",
        method: "As GIL-001, with every read–yield–write inside one lock the jobs share; the jobs first meet at a 4-party latch (waiting up to 5 units) so that they contend for the lock; expect exactly 800.",
        hint: "Look for a job that runs twice or never runs.",
        requires: [.executor], excludes: [.processIsolation], exclusionReason: GILClauses.threadsOnly,
        timing: .exclusive, budgetUnits: 60,
        check: .blocking { ctx in
            let total = jobs * increments
            let (finished, final) = try runIncrements(ctx) { counter, meeting, patience in
                meeting.arrive()
                meeting.wait(timeout: patience)
                for _ in 0..<increments {
                    counter.withLock { count in
                        let value = count
                        sched_yield()
                        count = value + 1
                    }
                }
            }
            ctx.expect(finished == jobs, "only \(finished) of the \(jobs) jobs finished")
            ctx.expect(final == total, "\(jobs) × \(increments) increments under a lock gave \(final), not \(total)")
        }
    )

    static let gil003 = ClauseDefinition(
        id: "GIL-003", contract: .executor, level: .must,
        statement: "Two jobs taking two locks in opposite order on a 2-worker executor can deadlock: when each holds its first lock, each timed acquire of its second fails after its timeout.",
        source: "SEED §GIL ('prevents … deadlocks': wrong)",
        method: "Two jobs take lock A then B, and B then A. Each takes its first lock and meets the other at a latch (waiting up to 5 units), tries its second lock with a 2-unit timeout, then meets the other again before letting go, so both attempts overlap both holds.",
        timingRule: "each failed acquire gives up after ≥ 2 units (a hard lower bound; an acquire that succeeds shows no deadlock)",
        hint: "Look for a lock held around every job, which keeps the second job from running while the first holds its lock.",
        requires: [.executor], excludes: [.processIsolation], exclusionReason: GILClauses.threadsOnly,
        timing: .realTime, budgetUnits: 60,
        check: .blocking { ctx in
            let timeout = ctx.units(2)
            let meeting = ctx.units(meetingUnits)
            let lockA = TimedLock()
            let lockB = TimedLock()
            let bothHold = Latch(count: 2)
            let bothTried = Latch(count: 2)
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            @Sendable func takeInOrder(_ first: TimedLock, _ second: TimedLock) -> OppositeOrderAttempt {
                // Timed even here: a pool that starts the second job late
                // must not wedge it behind the first.
                guard first.acquire(within: meeting) else { return OppositeOrderAttempt(heldFirst: false) }
                defer { first.release() }
                bothHold.arrive()
                let met = bothHold.wait(timeout: meeting)
                let (acquired, waited) = ctx.measure { second.acquire(within: timeout) }
                if acquired { second.release() }
                // Nobody lets go of a first lock until both attempts are
                // over, so the outcome does not depend on which fires first.
                bothTried.arrive()
                bothTried.wait(timeout: meeting)
                return OppositeOrderAttempt(heldFirst: true, met: met, acquired: acquired, waited: waited)
            }
            let forward = try pool.submit { takeInOrder(lockA, lockB) }
            let backward = try pool.submit { takeInOrder(lockB, lockA) }
            for (name, future) in [("A-then-B", forward), ("B-then-A", backward)] {
                guard let attempt = try? future.result(timeout: ctx.patience * 2) else {
                    ctx.fail("the \(name) job did not finish")
                    continue
                }
                guard ctx.expect(attempt.heldFirst, "the \(name) job could not take its first lock") else { continue }
                ctx.expect(attempt.met, "the \(name) job held its first lock alone: the two jobs never ran at once")
                if ctx.expect(!attempt.acquired, "the \(name) job took its second lock: no deadlock") {
                    ctx.expectAtLeast(attempt.waited, timeout, "the \(name) job's failed acquire")
                }
            }
        }
    )

    static let gil004 = ClauseDefinition(
        id: "GIL-004", contract: .executor, level: .must,
        statement: "Jobs blocked in sleep do not hold up other jobs: four 4-unit sleeps on a 4-worker executor finish in about 4 units, not 16.",
        source: "SEED §GIL ('only one thread can be executed at a time': imprecise)",
        method: "Submit four 4-unit sleeps to a 4-worker executor and time all four results.",
        timingRule: "≥ 4 units and < 6 units (taking turns they need 16; two at a time, 8)",
        hint: "Look for a lock held around every job, or a pool that runs fewer jobs at once than maxWorkers.",
        requires: [.executor], excludes: [.processIsolation], exclusionReason: GILClauses.threadsOnly,
        timing: .realTime,
        check: .blocking { ctx in
            let pause = ctx.units(4)
            let pool = try ctx.makeExecutor(maxWorkers: 4)
            let (finished, elapsed) = try ctx.measure { () throws -> Int in
                let futures = try (0..<4).map { _ in
                    try pool.submit { Thread.sleep(forTimeInterval: pause.seconds) }
                }
                return futures.filter { (try? $0.result(timeout: ctx.patience)) != nil }.count
            }
            ctx.expect(finished == 4, "only \(finished) of the four sleeps finished")
            ctx.expectAtLeast(elapsed, pause, "four 4-unit sleeps on 4 workers")
            ctx.expectBelow(elapsed, pause * 1.5, "four 4-unit sleeps on 4 workers")
        }
    )

    static let gil005 = ClauseDefinition(
        id: "GIL-005", contract: .executor, level: .should,
        statement: "Two CPU-bound jobs on a 2-worker executor run at the same time, their execution intervals overlapping, rather than one after the other; no speed-up is required, since the machine may have only one free core.",
        source: "SEED §GIL ('cpu-bound programs using multiple threads are … single-threaded'); CPython 3.13 optional free-threaded build",
        method: "Submit two jobs that each compute without blocking for 3 units, recording their start and end on the monotonic clock; the later start must come before the earlier end.",
        timingRule: "the intervals overlap (later start < earlier end); no ratio to sequential time is asserted, since one free core time-sliced between the two threads is enough to pass",
        hint: "Look for a lock held around every job, or a pool that runs CPU-bound jobs one after the other.",
        requires: [.executor], excludes: [.processIsolation], exclusionReason: GILClauses.threadsOnly,
        timing: .realTime,
        check: .blocking { ctx in
            let span = ctx.units(3)
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let futures = try (0..<2).map { index in
                try pool.submit { () -> ComputeInterval in computeFor(span, seed: UInt64(index + 1)) }
            }
            let intervals = futures.compactMap { try? $0.result(timeout: ctx.patience) }
            guard ctx.expect(intervals.count == 2, "only \(intervals.count) of the two CPU-bound jobs finished") else { return }
            let laterStart = max(intervals[0].start, intervals[1].start)
            let earlierEnd = min(intervals[0].end, intervals[1].end)
            ctx.expect(
                laterStart < earlierEnd,
                "the second CPU-bound job started \(String(format: "%.1f", (laterStart - earlierEnd).seconds * 1000)) ms after the first ended: the jobs ran one after the other"
            )
        }
    )

    // MARK: Helpers

    /// Runs ``jobs`` copies of `body` on a ``jobs``-worker executor, sharing
    /// one counter and one ``jobs``-party latch, and returns how many
    /// finished and the final count.
    private static func runIncrements(
        _ ctx: CheckContext,
        _ body: @escaping @Sendable (_ counter: Locked<Int>, _ meeting: Latch, _ patience: Duration) -> Void
    ) throws -> (finished: Int, final: Int) {
        let counter = Locked(0)
        let meeting = Latch(count: jobs)
        let patience = ctx.units(meetingUnits)
        let pool = try ctx.makeExecutor(maxWorkers: jobs)
        let futures = try (0..<jobs).map { _ in try pool.submit { body(counter, meeting, patience) } }
        let finished = futures.filter { (try? $0.result(timeout: ctx.patience * 2)) != nil }.count
        return (finished, counter.value)
    }

    /// Computes without blocking until `span` has passed on the monotonic
    /// clock, and returns when it started and ended.
    private static func computeFor(_ span: Duration, seed: UInt64) -> ComputeInterval {
        let clock = ContinuousClock()
        let start = clock.now
        var state = seed
        repeat {
            for _ in 0..<10_000 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
        } while clock.now - start < span
        return ComputeInterval(start: start, end: clock.now, checksum: state)
    }
}

/// What one job of GIL-003 saw.
private struct OppositeOrderAttempt: Sendable {
    var heldFirst: Bool
    var met = false
    var acquired = false
    var waited: Duration = .zero
}

/// When one CPU-bound job of GIL-005 ran. The checksum is returned so that
/// the optimizer cannot drop the computation.
private struct ComputeInterval: Sendable {
    var start: ContinuousClock.Instant
    var end: ContinuousClock.Instant
    var checksum: UInt64
}

/// A lock with a timed acquire (Python's `Lock.acquire(timeout=…)`), on the
/// monotonic clock: `Synchronization.Mutex` has no timed form, and
/// `NSLock.lock(before:)` takes a wall-clock date.
private final class TimedLock: Sendable {
    private let held = ConditionLock(false)

    /// - Returns: Whether the lock was taken before `timeout` passed.
    func acquire(within timeout: Duration) -> Bool {
        held.wait(until: { !$0 }, deadline: .after(timeout)) { held, free in
            if free { held = true }
            return free
        }
    }

    func release() {
        held.withLock { $0 = false }
        held.broadcast()
    }
}

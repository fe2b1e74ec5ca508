import ConcurrencyPrimitives
import Dispatch
import Foundation

/// Runs one clause: skip check, timing gate, watchdog, verdict.
enum ClauseRunner {
    static func run(_ clause: Clause, timing: Timing) async -> Verdict {
        if let reason = clause.skipReason {
            return Verdict(outcome: .skip, note: reason)
        }
        let exclusive = clause.definition.timing.runsAlone
        return await TimingGate.shared.withAccess(exclusive: exclusive) {
            await runUnderWatchdog(clause, timing: timing)
        }
    }

    private static func runUnderWatchdog(_ clause: Clause, timing: Timing) async -> Verdict {
        let threads = DispatchGroup()
        let context = CheckContext(
            implementation: clause.implementation,
            variant: clause.variant,
            timing: timing,
            threads: threads
        )
        let budget = timing.units(clause.definition.budgetUnits)
        let clock = ContinuousClock()
        let start = clock.now

        threads.enter()
        let work: Task<Void, Never>?
        switch clause.definition.check {
        case .blocking(let body):
            work = nil
            // A thread of its own: blocking here must never occupy one of the
            // cooperative pool's few threads, and a wedged check can be
            // abandoned without taking the pool down with it.
            let thread = Thread {
                defer { threads.leave() }
                record(context, clause) { try body(context) }
            }
            thread.name = "conformance: \(clause.id)"
            thread.start()
        case .async(let body):
            work = Task {
                defer { threads.leave() }
                do {
                    try await body(context)
                } catch is CheckSkipped {
                } catch {
                    context.fail(
                        "the check threw \(context.describe(error))",
                        fileID: clause.definition.location.fileID,
                        line: clause.definition.location.line
                    )
                }
            }
        }

        let finished = await firstOf(threads: threads, deadline: budget)
        let seconds = (clock.now - start).seconds
        let failures = context.seal()
        context.shutDownExecutors()
        guard finished else {
            work?.cancel()
            return Verdict(
                outcome: .timeout,
                failures: failures,
                note: "did not finish within the watchdog's \(clause.definition.budgetUnits) units (\(budget)); abandoned",
                seconds: seconds
            )
        }
        if failures.isEmpty, let reason = context.skipReason {
            return Verdict(outcome: .skip, note: reason, seconds: seconds)
        }
        return Verdict(outcome: failures.isEmpty ? .pass : .fail, failures: failures, seconds: seconds)
    }

    private static func record(_ context: CheckContext, _ clause: Clause, _ body: () throws -> Void) {
        do {
            try body()
        } catch is CheckSkipped {
        } catch {
            context.fail(
                "the check threw \(context.describe(error))",
                fileID: clause.definition.location.fileID,
                line: clause.definition.location.line
            )
        }
    }

    /// The watchdog's own queue. A serial queue is overcommitting: Dispatch
    /// gives it a thread even when every thread of the global pool is
    /// blocked (adapters' jobs, checks' waits), so a deadline fires on time
    /// however busy the pool is. On `.global()` it once fired 5.8 s late.
    private static let watchdogQueue = DispatchQueue(label: "conformance watchdog")

    /// Suspends until every thread of the check has ended or the deadline
    /// passes, whichever comes first. Returns whether the threads ended.
    private static func firstOf(threads: DispatchGroup, deadline: Duration) async -> Bool {
        let once = Locked<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            once.withLock { $0 = continuation }
            let resume: @Sendable (Bool) -> Void = { finished in
                once.withLock { $0.take() }?.resume(returning: finished)
            }
            threads.notify(queue: watchdogQueue) { resume(true) }
            watchdogQueue.asyncAfter(deadline: .now() + deadline.seconds) { resume(false) }
        }
    }
}

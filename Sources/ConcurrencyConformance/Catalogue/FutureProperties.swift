import ConcurrencySpec
import Foundation

/// A small deterministic random generator (SplitMix64), so that a failing
/// round of a property check, or a garbage case of the coder tests, can be
/// reproduced from its seed.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// FUT-015: races random operations on one future and checks the invariants
/// of the state machine on what every thread saw.
enum StateMachineProperty {
    enum Operation: CaseIterable, CustomStringConvertible {
        case cancel, setRunning, setResult, setException
        var description: String {
            switch self {
            case .cancel: "cancel"
            case .setRunning: "setRunningOrNotifyCancel"
            case .setResult: "setResult"
            case .setException: "setException"
            }
        }
    }

    struct RoundLog {
        var cancelledTrue = 0
        var runningTrue = 0
        var notifiedFalse = 0
        /// Tags of the setResult / setException calls that did not throw.
        var completions: [Int] = []
        var observedPath: [FutureState] = []
    }

    /// The legal one-step moves; staying put is always legal.
    static let legalMoves: Set<[FutureState]> = [
        [.pending, .running], [.pending, .finished], [.pending, .cancelled],
        [.running, .finished], [.cancelled, .cancelledAndNotified],
        // The observer samples, so it may miss the middle of a two-step path.
        [.pending, .cancelledAndNotified],
    ]

    static func run(_ ctx: CheckContext, rounds: Int) throws {
        var generator = SplitMix64(seed: 0xF0015)
        for round in 0..<rounds {
            // Even rounds open with every actor completing at once, the race a
            // check-then-act bug loses; odd rounds mix everything.
            let plans: [[Operation]] = (0..<3).map { _ in
                let first = round.isMultiple(of: 2) ? Operation.setResult : Operation.allCases.randomElement(using: &generator)!
                return [first] + (0..<2).map { _ in Operation.allCases.randomElement(using: &generator)! }
            }
            if let problem = runRound(ctx, plans: plans) {
                ctx.fail("round \(round) with plans \(plans): \(problem)")
                return
            }
        }
    }

    private static func runRound(_ ctx: CheckContext, plans: [[Operation]]) -> String? {
        let future = ctx.makeFuture(of: Int.self)
        let log = Locked(RoundLog())
        let ready = Latch(count: plans.count + 1)
        let go = Latch(count: 1)
        let actorsDone = Latch(count: plans.count)
        var finished: [Latch] = []
        for (actor, plan) in plans.enumerated() {
            finished.append(ctx.spawn("actor \(actor)") {
                ready.arrive()
                go.wait(timeout: ctx.patience)
                for (step, operation) in plan.enumerated() {
                    let tag = actor * 10 + step
                    switch operation {
                    case .cancel:
                        if future.cancel() { log.withLock { $0.cancelledTrue += 1 } }
                    case .setRunning:
                        switch try? future.setRunningOrNotifyCancel() {
                        case true?: log.withLock { $0.runningTrue += 1 }
                        case false?: log.withLock { $0.notifiedFalse += 1 }
                        case nil: break
                        }
                    case .setResult:
                        if (try? future.setResult(tag)) != nil { log.withLock { $0.completions.append(tag) } }
                    case .setException:
                        if (try? future.setException(ProbeError(String(tag)))) != nil { log.withLock { $0.completions.append(tag) } }
                    }
                }
                actorsDone.arrive()
            })
        }
        finished.append(ctx.spawn("observer") {
            ready.arrive()
            go.wait(timeout: ctx.patience)
            var path = [future.state]
            var spins = 0
            let clock = ContinuousClock()
            // A wedged actor must not leave the observer spinning for the
            // rest of the process after the watchdog has moved on.
            let giveUp = clock.now + ctx.patience
            while !actorsDone.isOpen && clock.now < giveUp {
                let state = future.state
                if state != path.last { path.append(state) }
                spins += 1
                if spins.isMultiple(of: 64) { sched_yield() }
            }
            let last = future.state
            if last != path.last { path.append(last) }
            log.withLock { $0.observedPath = path }
        })
        guard ready.wait(timeout: ctx.patience) else { return "the threads of the round never started" }
        go.arrive()
        for latch in finished where !latch.wait(timeout: ctx.patience) {
            return "a thread of the round did not finish within \(ctx.patience)"
        }
        return verify(log.value, future: future)
    }

    private static func verify(_ log: RoundLog, future: any ConcurrentFuture<Int>) -> String? {
        for (from, to) in zip(log.observedPath, log.observedPath.dropFirst()) where !legalMoves.contains([from, to]) {
            return "observed the illegal move \(from) → \(to) (path \(log.observedPath))"
        }
        if log.completions.count > 1 {
            return "\(log.completions.count) completions succeeded (tags \(log.completions)); at most one may"
        }
        if log.runningTrue > 1 { return "setRunningOrNotifyCancel() returned true \(log.runningTrue) times" }
        if log.notifiedFalse > 1 { return "setRunningOrNotifyCancel() returned false \(log.notifiedFalse) times" }
        if log.notifiedFalse > 0 && log.cancelledTrue == 0 {
            return "setRunningOrNotifyCancel() returned false although no cancel() succeeded"
        }
        if log.cancelledTrue > 0 && (log.runningTrue > 0 || !log.completions.isEmpty) {
            return "cancel() returned true although the future also ran or completed (\(log))"
        }
        let state = future.state
        switch state {
        case .finished:
            guard let tag = log.completions.first else { return "FINISHED with no successful completion" }
            if let value = try? future.result(timeout: .zero) {
                if value != tag { return "the result is \(value), but the winning completion set \(tag)" }
            } else if let error = try? future.exception(timeout: .zero), let probe = error as? ProbeError {
                if probe.tag != String(tag) { return "the error is \(probe), but the winning completion set \(tag)" }
            } else {
                return "FINISHED but neither result nor exception could be read"
            }
        case .cancelled, .cancelledAndNotified:
            if log.cancelledTrue == 0 { return "\(state) but no cancel() returned true" }
            if (state == .cancelledAndNotified) != (log.notifiedFalse == 1) {
                return "\(state) after \(log.notifiedFalse) acknowledgements of the cancellation"
            }
        case .running:
            if log.runningTrue != 1 || !log.completions.isEmpty { return "RUNNING after \(log)" }
        case .pending:
            if log.runningTrue + log.cancelledTrue + log.completions.count > 0 { return "PENDING after \(log)" }
        }
        if state != log.observedPath.last { return "the final state \(state) differs from the last observed \(log.observedPath)" }
        return nil
    }
}

/// FUT-016: what a thread wrote before completing a future is visible to
/// every thread that observed the completion.
enum HappensBeforeProperty {
    /// Deliberately unsynchronized. The only ordering between the writer and
    /// the reader is the future under test: if the future provides
    /// happens-before, every access is ordered; if it does not, the reader can
    /// see a stale value and ThreadSanitizer reports the race. That makes
    /// `@unchecked Sendable` the point of the check rather than a hole in it.
    final class Payload: @unchecked Sendable {
        var value = -1
    }

    static func run(_ ctx: CheckContext, count: Int) {
        runPhase(ctx, count: count, blockingRead: false)
        if ctx.failures.isEmpty { runPhase(ctx, count: count, blockingRead: true) }
    }

    private static func runPhase(_ ctx: CheckContext, count: Int, blockingRead: Bool) {
        let futures = (0..<count).map { _ in ctx.makeFuture(of: Int.self) }
        let payloads = (0..<count).map { _ in Payload() }
        let writer = ctx.spawn("writer") {
            for index in 0..<count {
                payloads[index].value = index
                try futures[index].setResult(index)
            }
        }
        let reader = ctx.spawn("reader") {
            let clock = ContinuousClock()
            for index in 0..<count {
                if blockingRead {
                    let value = try? futures[index].result(timeout: ctx.patience)
                    guard ctx.expect(value == index, "blocking result() of future \(index) returned \(String(describing: value))") else { return }
                } else {
                    let giveUp = clock.now + ctx.patience
                    var spins = 0
                    while !futures[index].isDone {
                        spins += 1
                        if spins.isMultiple(of: 64) {
                            sched_yield()
                            if clock.now > giveUp {
                                ctx.fail("future \(index) never reported isDone")
                                return
                            }
                        }
                    }
                    let value = ctx.expectNoThrow("result(timeout: 0) of future \(index) after isDone") {
                        try futures[index].result(timeout: .zero)
                    }
                    guard ctx.expect(value == index, "result(timeout: 0) of future \(index) after isDone returned \(String(describing: value))") else { return }
                }
                let seen = payloads[index].value
                guard ctx.expect(seen == index, "the write made before completing future \(index) was not visible (saw \(seen))") else { return }
            }
        }
        writer.wait(timeout: ctx.patience * 3)
        reader.wait(timeout: ctx.patience * 3)
    }
}

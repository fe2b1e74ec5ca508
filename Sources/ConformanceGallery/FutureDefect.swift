import ConcurrencySpec
import ConcurrencyConformance

/// One documented way to break a future. Each defect is one mutant of the
/// gallery, and names the clauses that must catch it.
public enum FutureDefect: String, CaseIterable, Sendable {
    case runningWhilePending
    case timeoutUnitConfusion
    case resultBlocksForever
    case resultDoesNotBlock
    case errorWrapped
    case cancelSkipsCallbacks
    case cancelNotIdempotent
    case cancelWhileRunning
    case cancelledResultWaits
    case setRunningTwice
    case secondSetOverwrites
    case callbacksLIFO
    case callbacksRerun
    case callbacksBeforeDone
    case callbacksOnAnotherThread
    case lateCallbackDropped
    case throwingCallbackStopsOthers
    case racyCompletion
    case publishesBeforeValue
    case vagueInvalidState
    case lostWakeup

    /// What is broken, in one line.
    public var summary: String {
        switch self {
        case .runningWhilePending: "isRunning reports true for any future that is not done, pending ones included"
        case .timeoutUnitConfusion: "reads the timeout as milliseconds where it meant seconds, so timed waits give up a thousand times too early"
        case .resultBlocksForever: "result() and exception() block forever, even on a done future: the hanging implementation the watchdog must report"
        case .resultDoesNotBlock: "result() on a future that is not done throws at once instead of waiting (asyncio's rule on the wrong kind of future)"
        case .errorWrapped: "the job's error comes back wrapped in another error instead of unchanged"
        case .cancelSkipsCallbacks: "cancel() does not run the done callbacks"
        case .cancelNotIdempotent: "cancel() on a cancelled future returns false (asyncio's rule on the wrong kind of future)"
        case .cancelWhileRunning: "cancel() succeeds on a running future"
        case .cancelledResultWaits: "result() on a cancelled future waits out its timeout instead of throwing at once"
        case .setRunningTwice: "setRunningOrNotifyCancel() returns true again on a running future"
        case .secondSetOverwrites: "a second setResult/setException silently replaces the outcome"
        case .callbacksLIFO: "done callbacks run in reverse registration order"
        case .callbacksRerun: "the callback list is never cleared, so every successful cancel() runs it again"
        case .callbacksBeforeDone: "done callbacks run before the state becomes done"
        case .callbacksOnAnotherThread: "done callbacks are handed to a dispatch queue instead of running on the completing thread"
        case .lateCallbackDropped: "a callback added to a future that is already done is never called"
        case .throwingCallbackStopsOthers: "a throwing done callback stops the callbacks after it"
        case .racyCompletion: "completion checks the state and writes it in two separate lock sections, so concurrent completions can both succeed"
        case .publishesBeforeValue: "completion publishes the done state before it stores the outcome"
        case .vagueInvalidState: "invalid-state errors always say setResult in state PENDING, whatever was refused"
        case .lostWakeup: "completion signals one blocked reader instead of waking them all"
        }
    }

    /// The clauses whose rule the defect breaks; each must catch it.
    public var targets: [String] {
        switch self {
        case .runningWhilePending: ["FUT-001"]
        case .timeoutUnitConfusion: ["FUT-002"]
        case .resultBlocksForever: ["FUT-002", "FUT-003"]
        case .resultDoesNotBlock: ["FUT-003"]
        case .errorWrapped: ["FUT-004", "FUT-019"]
        case .cancelSkipsCallbacks: ["FUT-005"]
        case .cancelNotIdempotent: ["FUT-006"]
        case .cancelWhileRunning: ["FUT-007", "FUT-015"]
        case .cancelledResultWaits: ["FUT-008"]
        case .setRunningTwice: ["FUT-009"]
        case .secondSetOverwrites: ["FUT-010"]
        case .callbacksLIFO: ["FUT-011"]
        case .callbacksRerun: ["FUT-006", "FUT-011"]
        case .callbacksBeforeDone: ["FUT-011"]
        case .callbacksOnAnotherThread: ["FUT-012"]
        case .lateCallbackDropped: ["FUT-013", "FUT-019"]
        case .throwingCallbackStopsOthers: ["FUT-014"]
        case .racyCompletion: ["FUT-015"]
        case .publishesBeforeValue: ["FUT-016"]
        case .vagueInvalidState: ["FUT-017"]
        case .lostWakeup: ["FUT-018"]
        }
    }

    /// The mutant, as an implementation under test.
    public var implementation: Implementation {
        Implementation(
            name: "mutant:\(rawValue)",
            kind: .mutant,
            summary: summary,
            targets: targets,
            futures: MutantFutureFactory(defect: self)
        )
    }
}

struct MutantFutureFactory: FutureFactory {
    let defect: FutureDefect?

    func makeFuture<Value: Sendable>(of type: Value.Type) -> any ConcurrentFuture<Value> {
        MutantFuture<Value>(defect: defect)
    }
}

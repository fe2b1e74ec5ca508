import ConcurrencyConformance
import ConcurrencySpec
import Foundation

/// One documented way to break an event loop, its futures and tasks, or the
/// asyncio module functions. Each defect is one mutant of the gallery and
/// names the clauses that must catch it; ``MutantLoop`` switches it in.
public enum LoopDefect: String, CaseIterable, Sendable {
    case readyQueueLIFO, nestedCallbacksSameIteration, timersInScheduleOrder, equalDeadlinesLIFO, timerLateByOneTick
    case timerEarly, handleCancelIgnored, timeNotMonotonic, runUntilCompleteCloses, reentrantRun, stopDropsBatch
    case closeWhileRunning, sleepZeroNoYield, sleepBlocksThread, eagerTaskStart, tasksOffLoop, runInExecutorInline
    case threadsafeNoWake, negativeDelayAccepted, callbackErrorStopsLoop, closeLeaksPendingTasks, pastCallAtDropped
    case virtualClockRealPace, futureCallbacksInline, pendingResultNotRefused, cancelDoneReturnsTrue
    case cancelledResultInvalidState, setTwiceOverwrites, lateWakeup, removeCallbackRemovesOne, wrapFutureOffLoop
    case foreignAwaitAccepted, tasksStartLIFO, noLoopContext, currentTaskIsNewest, tasksRunSerially
    case cancelMarksAtOnce, cancelledBeforeStartRuns, swallowedCancelStillCancelled, taskErrorWrapped
    case awaitersBeforeCallbacks, waitForLeavesInnerRunning, waitForNoCancelWait, waitForWaitsFullTimeout
    case runLeavesLoopOpen, runAwaitsLeftovers, gatherCompletionOrder, gatherOutcomesRaise, gatherCancelsSiblings
    case gatherCancelIgnoresChildren, childCancelCancelsGather, gatherEmptyNeverDone, loopWaitCancelsPending
    case loopWaitFirstCompletedWaitsAll, loopWaitAcceptsEmpty, loopAsCompletedInputOrder
    case loopAsCompletedIgnoresTimeout

    /// What is broken, in one line.
    public var summary: String {
        switch self {
        case .readyQueueLIFO: "callSoon callbacks run last-in first-out"
        case .nestedCallbacksSameIteration: "callbacks scheduled while an iteration runs join that iteration"
        case .timersInScheduleOrder: "timers run in the order they were scheduled, not by deadline"
        case .equalDeadlinesLIFO: "timers with equal deadlines run last-in first-out"
        case .timerLateByOneTick: "every timer fires one millisecond of loop time after its deadline (visible exactly in virtual time)"
        case .timerEarly: "timers fire at half their delay"
        case .handleCancelIgnored: "cancelling a handle does not stop its callback"
        case .timeNotMonotonic: "every 7th reading of time is 1 ms behind"
        case .runUntilCompleteCloses: "runUntilComplete closes the loop when it returns"
        case .reentrantRun: "running a loop while one runs on the thread is allowed (nested run)"
        case .stopDropsBatch: "stop() abandons the rest of the current iteration's callbacks"
        case .closeWhileRunning: "close() on a running loop succeeds (and the loop closes after the iteration)"
        case .sleepZeroNoYield: "sleep(.zero) returns without suspending"
        case .sleepBlocksThread: "sleep(d) blocks the loop thread for d (Thread.sleep) instead of suspending"
        case .eagerTaskStart: "createTask runs the body synchronously up to its first suspension before returning"
        case .tasksOffLoop: "task bodies run on the global concurrent executor, several at once, not on the loop thread"
        case .runInExecutorInline: "runInExecutor runs the job on the loop thread before returning"
        case .threadsafeNoWake: "callSoonThreadsafe does not wake an idle loop; the loop only polls its inbox every 20 × 100 ms"
        case .negativeDelayAccepted: "negative delays are treated as zero"
        case .callbackErrorStopsLoop: "an error thrown by a callback stops the loop (runForever rethrows it)"
        case .closeLeaksPendingTasks: "close() leaves pending tasks suspended forever (never resumed)"
        case .pastCallAtDropped: "callAt with a time in the past never runs"
        case .virtualClockRealPace: "in virtual mode time never jumps; it follows the real clock"
        case .futureCallbacksInline: "set/cancel run done callbacks inline, and addDoneCallback on a done future calls it inline"
        case .pendingResultNotRefused: "result() on a pending future throws .timeout(unfinished: nil) instead of invalidState"
        case .cancelDoneReturnsTrue: "cancel() on a done or cancelled future returns true"
        case .cancelledResultInvalidState: "result()/exception()/await on a cancelled future throw invalidState instead of cancelled"
        case .setTwiceOverwrites: "setting a done future again replaces its outcome silently"
        case .lateWakeup: "a task awaiting a pending future is resumed only on the next multiple of 2 × 100 ms of loop time after it is set (poll)"
        case .removeCallbackRemovesOne: "removeDoneCallback removes only the first registration under the key"
        case .wrapFutureOffLoop: "wrapFuture completes the loop future on the concurrent future's thread instead of the loop thread"
        case .foreignAwaitAccepted: "awaiting a future of another loop is allowed"
        case .tasksStartLIFO: "tasks take their first steps in reverse creation order"
        case .noLoopContext: "task bodies run without LoopContext.loop bound"
        case .currentTaskIsNewest: "currentTask returns the most recently created task of the loop"
        case .tasksRunSerially: "a task takes its first step only after every earlier task has finished"
        case .cancelMarksAtOnce: "Task.cancel() makes isCancelled true at once, before the body has handled it"
        case .cancelledBeforeStartRuns: "a task cancelled before its first step still runs its body up to its first suspension"
        case .swallowedCancelStillCancelled: "a task whose body catches the cancellation and returns still ends cancelled"
        case .taskErrorWrapped: "an error escaping a task body is stored wrapped in another error"
        case .awaitersBeforeCallbacks: "tasks awaiting a future resume before its done callbacks run, whatever the registration order"
        case .waitForLeavesInnerRunning: "waitFor's timeout throws without cancelling the inner task"
        case .waitForNoCancelWait: "waitFor cancels the inner task but throws before it has finished handling the cancellation"
        case .waitForWaitsFullTimeout: "waitFor returns the inner result only when its timeout expires"
        case .runLeavesLoopOpen: "run(_:) does not close the loop"
        case .runAwaitsLeftovers: "run(_:) waits for leftover tasks to finish instead of cancelling them"
        case .gatherCompletionOrder: "gather returns results in completion order"
        case .gatherOutcomesRaise: "gatherOutcomes fails with the first error instead of listing it"
        case .gatherCancelsSiblings: "gather cancels the other children when one fails"
        case .gatherCancelIgnoresChildren: "cancelling a gather leaves its children running"
        case .childCancelCancelsGather: "a child cancelled on its own cancels the whole gather (and, with gatherOutcomes, the others)"
        case .gatherEmptyNeverDone: "gather of no futures never completes; gather of the same future twice counts it once and never completes"
        case .loopWaitCancelsPending: "asyncio-style wait cancels the futures still pending when its timeout fires"
        case .loopWaitFirstCompletedWaitsAll: "wait(.firstCompleted) waits for all"
        case .loopWaitAcceptsEmpty: "wait([]) returns two empty lists"
        case .loopAsCompletedInputOrder: "asCompleted yields futures in input order"
        case .loopAsCompletedIgnoresTimeout: "asCompleted ignores its timeout"
        }
    }

    /// The clauses whose rule the defect breaks; each must catch it.
    public var targets: [String] {
        switch self {
        case .readyQueueLIFO: ["LOOP-001"]
        case .nestedCallbacksSameIteration: ["LOOP-002", "LOOP-011"]
        case .timersInScheduleOrder: ["LOOP-003"]
        case .equalDeadlinesLIFO: ["LOOP-004"]
        case .timerLateByOneTick: ["LOOP-005", "LOOP-024"]
        case .timerEarly: ["LOOP-005", "TASK-007"]
        case .handleCancelIgnored: ["LOOP-007"]
        case .timeNotMonotonic: ["LOOP-008"]
        case .runUntilCompleteCloses: ["LOOP-009"]
        case .reentrantRun: ["LOOP-010"]
        case .stopDropsBatch: ["LOOP-011"]
        case .closeWhileRunning: ["LOOP-012"]
        case .sleepZeroNoYield: ["LOOP-013"]
        case .sleepBlocksThread: ["LOOP-014", "TASK-008"]
        case .eagerTaskStart: ["TASK-001", "TASK-002", "LOOP-015"]
        case .tasksOffLoop: ["LOOP-016", "TASK-016"]
        case .runInExecutorInline: ["LOOP-017"]
        case .threadsafeNoWake: ["LOOP-018"]
        case .negativeDelayAccepted: ["LOOP-020"]
        case .callbackErrorStopsLoop: ["LOOP-021"]
        case .closeLeaksPendingTasks: ["LOOP-022"]
        case .pastCallAtDropped: ["LOOP-023"]
        case .virtualClockRealPace: ["LOOP-024"]
        case .futureCallbacksInline: ["AFUT-002", "AFUT-003"]
        case .pendingResultNotRefused: ["AFUT-001"]
        case .cancelDoneReturnsTrue: ["AFUT-004"]
        case .cancelledResultInvalidState: ["AFUT-005"]
        case .setTwiceOverwrites: ["AFUT-006"]
        case .lateWakeup: ["AFUT-007", "TASK-005"]
        case .removeCallbackRemovesOne: ["AFUT-008"]
        case .wrapFutureOffLoop: ["AFUT-009"]
        case .foreignAwaitAccepted: ["AFUT-010"]
        case .tasksStartLIFO: ["TASK-003"]
        case .noLoopContext: ["TASK-004"]
        case .currentTaskIsNewest: ["TASK-006"]
        case .tasksRunSerially: ["TASK-008"]
        case .cancelMarksAtOnce: ["TASK-009"]
        case .cancelledBeforeStartRuns: ["TASK-010"]
        case .swallowedCancelStillCancelled: ["TASK-011"]
        case .taskErrorWrapped: ["TASK-012"]
        case .awaitersBeforeCallbacks: ["TASK-013"]
        case .waitForLeavesInnerRunning: ["TASK-014"]
        case .waitForNoCancelWait: ["TASK-014"]
        case .waitForWaitsFullTimeout: ["TASK-015"]
        case .runLeavesLoopOpen: ["TASK-017"]
        case .runAwaitsLeftovers: ["TASK-018"]
        case .gatherCompletionOrder: ["GATH-001"]
        case .gatherOutcomesRaise: ["GATH-002"]
        case .gatherCancelsSiblings: ["GATH-003"]
        case .gatherCancelIgnoresChildren: ["GATH-004"]
        case .childCancelCancelsGather: ["GATH-005"]
        case .gatherEmptyNeverDone: ["GATH-006"]
        case .loopWaitCancelsPending: ["WAIT-010"]
        case .loopWaitFirstCompletedWaitsAll: ["WAIT-011"]
        case .loopWaitAcceptsEmpty: ["WAIT-012"]
        case .loopAsCompletedInputOrder: ["ASC-007"]
        case .loopAsCompletedIgnoresTimeout: ["ASC-008"]
        }
    }

    /// The mutant, as an implementation under test. Every mutant loop offers
    /// a virtual clock, so that timing clauses check it in both clock modes.
    public var implementation: Implementation {
        Implementation(
            name: "mutant:\(rawValue)",
            kind: .mutant,
            summary: summary,
            targets: targets,
            capabilities: [.virtualTime],
            // AFUT-009 wraps a concurrent future: the defect-free mutant
            // future plays that part, so only the loop's defect is under test.
            futures: MutantFutureFactory(defect: nil),
            loops: MutantLoopFactory(defect: self)
        )
    }
}

/// Makes ``MutantLoop``s with one defect, or none for the baseline.
struct MutantLoopFactory: LoopFactory {
    let defect: LoopDefect?

    func makeLoop(virtualTime: Bool) throws -> any EventLoop {
        MutantLoop(virtualTime: virtualTime, defect: defect)
    }
}

extension LoopDefect {
    /// Whether the defect runs task steps on several threads at once, so
    /// that the loop resumes a task's continuation while the task may still
    /// be suspending on another thread. ThreadSanitizer misreads that
    /// hand-off inside the Swift runtime as a data race (swiftlang/swift
    /// #57803), so the gallery's self-test leaves these mutants out of
    /// sanitized runs; they are still judged in every other run.
    public var racesByDesign: Bool { self == .tasksOffLoop }
}

extension Gallery {
    /// The names of the mutants whose defect races by design (see
    /// ``LoopDefect/racesByDesign``).
    public static let mutantsThatRaceByDesign: Set<String> = Set(
        LoopDefect.allCases.filter(\.racesByDesign).map(\.implementation.name)
    )
}

/// Whether this process runs under ThreadSanitizer.
public enum ThreadSanitizer {
    /// True when the ThreadSanitizer runtime is linked in: its entry point
    /// `__tsan_init` is then a symbol of the process.
    public static let isActive: Bool = {
        guard let process = dlopen(nil, RTLD_NOW) else { return false }
        defer { dlclose(process) }
        return dlsym(process, "__tsan_init") != nil
    }()
}

import ConcurrencyConformance
import ConcurrencySpec
import Foundation

/// `wait` with the WAIT defects; without one it is the Spec's `wait`.
func mutantWait<Value>(
    _ futures: [any ConcurrentFuture<Value>],
    timeout: Duration?,
    returnWhen: ReturnWhen,
    defect: ExecutorDefect?
) -> (done: [any ConcurrentFuture<Value>], notDone: [any ConcurrentFuture<Value>]) {
    switch defect {
    case .waitReturnsEarly?:
        return wait(futures, timeout: timeout, returnWhen: returnWhen == .allCompleted ? .firstCompleted : returnWhen)
    case .waitIgnoresTimeout?:
        return wait(futures, timeout: nil, returnWhen: returnWhen)
    case .waitFirstCompletedWaitsAll?:
        return wait(futures, timeout: timeout, returnWhen: returnWhen == .firstCompleted ? .allCompleted : returnWhen)
    case .waitFirstExceptionIgnoresErrors?:
        return wait(futures, timeout: timeout, returnWhen: returnWhen == .firstException ? .allCompleted : returnWhen)
    case .waitAlwaysBlocks?:
        let pending = futures.filter { !$0.isDone }
        if !pending.isEmpty { _ = wait(pending, timeout: timeout, returnWhen: .firstCompleted) }
        return wait(futures, timeout: .zero, returnWhen: returnWhen)
    case .waitKeepsDuplicates?:
        _ = wait(futures, timeout: timeout, returnWhen: returnWhen)
        return (futures.filter(\.isDone), futures.filter { !$0.isDone })
    case .waitCancelsNotDone?:
        let split = wait(futures, timeout: timeout, returnWhen: returnWhen)
        for future in split.notDone { future.cancel() }
        return split
    case .waitIgnoresCancelled?:
        // Counts only finished futures, polling until the condition holds.
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            let done = futures.filter { $0.state == .finished }
            let notDone = futures.filter { $0.state != .finished }
            let satisfied = switch returnWhen {
            case .allCompleted: notDone.isEmpty
            case .firstCompleted, .firstException: !done.isEmpty || notDone.isEmpty
            }
            if satisfied || deadline.map({ clock.now >= $0 }) == true { return (done, notDone) }
            Thread.sleep(forTimeInterval: 0.001)
        }
    default:
        return wait(futures, timeout: timeout, returnWhen: returnWhen)
    }
}

/// A plain `asCompleted` built on `wait(firstCompleted)`, with the ASC
/// defects; without one it passes every ASC clause.
final class MutantCompletions<Value>: CompletionIterator {
    private var initiallyDone: [any ConcurrentFuture<Value>]
    private var pending: [any ConcurrentFuture<Value>]
    private let deadline: ContinuousClock.Instant?
    private let defect: ExecutorDefect?

    init(_ futures: [any ConcurrentFuture<Value>], timeout: Duration?, defect: ExecutorDefect?) {
        var unique = futures
        if defect != .ascDuplicates {
            var seen = Set<ObjectIdentifier>()
            unique = futures.filter { seen.insert(ObjectIdentifier($0)).inserted }
        }
        self.defect = defect
        self.deadline = defect == .ascIgnoresTimeout ? nil : timeout.map { ContinuousClock.now + $0 }
        if defect == .ascInputOrder {
            initiallyDone = []
            pending = unique
        } else {
            let done = unique.filter(\.isDone)
            initiallyDone = defect == .ascSkipsCancelled ? done.filter { !$0.isCancelled } : done
            pending = unique.filter { future in !done.contains { $0 === future } }
            if defect == .ascSkipsCancelled { pending += done.filter(\.isCancelled) }
        }
    }

    func next() throws -> (any ConcurrentFuture<Value>)? {
        if defect != .ascDoneLast, !initiallyDone.isEmpty { return initiallyDone.removeFirst() }
        if pending.isEmpty {
            return initiallyDone.isEmpty ? nil : initiallyDone.removeFirst()
        }
        let remaining = deadline.map { max($0 - ContinuousClock.now, .zero) }
        if defect == .ascInputOrder {
            let first = pending[0]
            _ = try? first.exception(timeout: remaining)
            guard first.isDone else { throw ConcurrencyError.timeout(unfinished: pending.count) }
            return pending.removeFirst()
        }
        let watched = defect == .ascSkipsCancelled ? pending.filter { !$0.isCancelled } : pending
        let (done, _) = wait(watched, timeout: remaining, returnWhen: .firstCompleted)
        guard let next = done.first else {
            throw ConcurrencyError.timeout(unfinished: defect == .ascTimeoutCountWrong ? nil : pending.count)
        }
        // Removes one occurrence; without the duplicates defect there is one.
        if let index = pending.firstIndex(where: { $0 === next }) { pending.remove(at: index) }
        return next
    }
}

/// `map`'s results with the MAP defects that concern reading.
final class MutantMapResults<Value: Sendable>: MapResults<Value> {
    private let futures: [any ConcurrentFuture<Value>]
    private let timeout: Duration?
    private let defect: ExecutorDefect?
    private var position = 0
    private var completions: MutantCompletions<Value>?

    init(futures: [any ConcurrentFuture<Value>], deadline: ContinuousClock.Instant?, timeout: Duration?, defect: ExecutorDefect?) {
        self.futures = futures
        self.timeout = timeout
        self.defect = defect
        super.init(futures: futures, deadline: deadline)
    }

    override func next() throws -> Value? {
        switch defect {
        case .mapCompletionOrder?:
            if completions == nil { completions = MutantCompletions(futures, timeout: timeout, defect: nil) }
            guard let next = try completions?.next() else { return nil }
            let value: Value = try next.result(timeout: .zero)
            return value
        case .mapContinuesAfterError?, .mapTimeoutPerItem?, .mapTimeoutKeepsGoing?:
            guard position < futures.count else { return nil }
            do {
                let value = try futures[position].result(timeout: timeout)
                position += 1
                return value
            } catch ConcurrencyError.timeout {
                // Neither ends the iteration nor cancels what is left; with
                // a per-item timeout the next read waits a whole timeout again.
                throw ConcurrencyError.timeout(unfinished: futures.count - position)
            } catch where defect == .mapContinuesAfterError {
                position += 1
                throw error
            } catch {
                position = futures.count
                throw error
            }
        default:
            return try super.next()
        }
    }

    override func close() {
        if defect == .mapCloseNoCancel { return }
        super.close()
    }
}

/// `map`'s results that submit each call only when its result is read.
final class LazyMapResults<Input: Sendable, Value: Sendable>: MapResults<Value> {
    private var inputs: [Input]
    private let executor: any ConcurrentExecutor
    private let job: @Sendable (Input) throws -> Value

    init(inputs: [Input], executor: any ConcurrentExecutor, job: @escaping @Sendable (Input) throws -> Value) {
        self.inputs = inputs
        self.executor = executor
        self.job = job
        super.init(futures: [], deadline: nil)
    }

    override func next() throws -> Value? {
        guard !inputs.isEmpty else { return nil }
        let input = inputs.removeFirst()
        let job = self.job
        let future: any ConcurrentFuture<Value> = try executor.submit { try job(input) }
        let value: Value = try future.result(timeout: nil)
        return value
    }
}

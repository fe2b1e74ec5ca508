import ConcurrencyPrimitives

/// Keeps checks that measure real time from competing for the cores.
///
/// A readers–writer gate for tasks: order-only checks share it, a real-time
/// check holds it alone. Waiting suspends (never blocks a thread), and waiters
/// are served first come, first served, so a stream of shared holders cannot
/// starve an exclusive one.
final class TimingGate: Sendable {
    static let shared = TimingGate()

    private struct Waiter {
        let exclusive: Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var sharedHolders = 0
        var exclusiveHeld = false
        var queue: [Waiter] = []

        func admits(exclusive: Bool) -> Bool {
            exclusive ? (!exclusiveHeld && sharedHolders == 0) : !exclusiveHeld
        }

        mutating func take(exclusive: Bool) {
            if exclusive { exclusiveHeld = true } else { sharedHolders += 1 }
        }

        /// Admits waiters from the head of the queue while they fit.
        mutating func admitWaiting() -> [CheckedContinuation<Void, Never>] {
            var admitted: [CheckedContinuation<Void, Never>] = []
            while let head = queue.first, admits(exclusive: head.exclusive) {
                queue.removeFirst()
                take(exclusive: head.exclusive)
                admitted.append(head.continuation)
            }
            return admitted
        }
    }

    private let state = ConditionLock(State())

    func withAccess<Result: Sendable>(
        exclusive: Bool,
        _ body: () async -> Result
    ) async -> Result {
        await acquire(exclusive: exclusive)
        let result = await body()
        release(exclusive: exclusive)
        return result
    }

    private func acquire(exclusive: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.queue.isEmpty && state.admits(exclusive: exclusive) {
                    state.take(exclusive: exclusive)
                    return true
                }
                state.queue.append(Waiter(exclusive: exclusive, continuation: continuation))
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func release(exclusive: Bool) {
        let admitted = state.withLock { state in
            if exclusive { state.exclusiveHeld = false } else { state.sharedHolders -= 1 }
            return state.admitWaiting()
        }
        for continuation in admitted { continuation.resume() }
    }
}

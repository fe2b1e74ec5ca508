import ConcurrencySpec

/// A queued job, type-erased so one queue holds jobs of every result type.
protocol PoolJob: Sendable {
    /// Runs the job unless its future was cancelled; calls `finished` after
    /// the job's own code returns and before its future completes.
    func run(finished: () -> Void)
    /// Cancels the future of a job that will never run.
    func cancel()
    /// Fails the future of a job that can never run.
    func fail(_ error: ConcurrencyError)
}

/// Python's `_WorkItem`: a future and the call that completes it.
final class WorkItem<Value: Sendable>: PoolJob {
    let future: Future<Value>
    let job: @Sendable () throws -> Value

    init(future: Future<Value>, job: @escaping @Sendable () throws -> Value) {
        self.future = future
        self.job = job
    }

    func run(finished: () -> Void) {
        // A false answer means the future was cancelled while queued: the
        // job must not run.
        guard (try? future.setRunningOrNotifyCancel()) == true else { return }
        let outcome = Result { try job() }
        finished()
        switch outcome {
        case .success(let value): try? future.setResult(value)
        case .failure(let error): try? future.setException(error)
        }
    }

    func cancel() {
        future.cancel()
    }

    func fail(_ error: ConcurrencyError) {
        try? future.setException(error)
    }
}

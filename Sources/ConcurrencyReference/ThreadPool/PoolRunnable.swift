import ConcurrencySpec

/// A queued job, type-erased so one queue holds jobs of every result type.
///
/// The pool's work item is the future itself, which carries its job
/// (`Future.poolJob`): one allocation per submit instead of two, and the
/// allocation is freed by whoever drops the future rather than by a worker,
/// which kept the allocator busy moving memory between threads.
@usableFromInline
protocol PoolRunnable: AnyObject, Sendable {
    /// Runs the job unless its future was cancelled; calls `finished` after
    /// the job's own code returns and before its future completes.
    func runPoolJob(finished: () -> Void)
    /// Cancels the future of a job that will never run.
    func cancelPoolJob()
    /// Fails the future of a job that can never run.
    func failPoolJob(_ error: ConcurrencyError)
}

/// Python's `_WorkItem.run`, on the future that carries the job.
///
/// These run unspecialized, behind the protocol's witness table: no
/// `Result<Value, _>` or `Value?` here, each would be a metadata lookup that
/// costs more than the job.
extension Future: PoolRunnable {
    @usableFromInline
    func runPoolJob(finished: () -> Void) {
        // Only the worker that took this future from the queue gets here, so
        // it owns `poolJob`; dropping it releases what the job captured.
        let job = poolJob
        poolJob = nil
        // A false answer means the future was cancelled while queued: the
        // job must not run.
        guard let job, (try? setRunningOrNotifyCancel()) == true else { return }
        do {
            let value = try job()
            finished()
            try? setResult(value)
        } catch {
            finished()
            try? setException(error)
        }
    }

    @usableFromInline
    func cancelPoolJob() {
        poolJob = nil
        cancel()
    }

    @usableFromInline
    func failPoolJob(_ error: ConcurrencyError) {
        poolJob = nil
        try? setException(error)
    }
}

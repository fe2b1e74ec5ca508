import ConcurrencySpec

/// A queued job, type-erased so one queue holds jobs of every result type.
///
/// A class rather than a protocol so that it can link itself into the pool's
/// lock-free inbox (`nextInInbox`) without a separate node allocation.
@usableFromInline
class PoolJob: @unchecked Sendable {
    // @unchecked Sendable is safe: `nextInInbox` is written by the submitting
    // thread before the compare-exchange that publishes this job, and read
    // and cleared by the one worker whose exchange took the whole inbox;
    // subclasses hold only immutable references to Sendable values.

    /// The job pushed into the inbox just before this one.
    var nextInInbox: Unmanaged<PoolJob>?

    /// Runs the job unless its future was cancelled; calls `finished` after
    /// the job's own code returns and before its future completes.
    func run(finished: () -> Void) { preconditionFailure("PoolJob.run is abstract") }
    /// Cancels the future of a job that will never run.
    func cancel() { preconditionFailure("PoolJob.cancel is abstract") }
    /// Fails the future of a job that can never run.
    func fail(_ error: ConcurrencyError) { preconditionFailure("PoolJob.fail is abstract") }
}

/// Python's `_WorkItem`: a future and the call that completes it.
@usableFromInline
final class WorkItem<Value: Sendable>: PoolJob, @unchecked Sendable {
    // @unchecked Sendable is safe: both stored properties are immutable
    // and Sendable; see PoolJob for the inherited link.
    let future: Future<Value>
    let job: @Sendable () throws -> Value

    @usableFromInline
    init(future: Future<Value>, job: @escaping @Sendable () throws -> Value) {
        self.future = future
        self.job = job
    }

    override func run(finished: () -> Void) {
        // A false answer means the future was cancelled while queued: the
        // job must not run.
        guard (try? future.setRunningOrNotifyCancel()) == true else { return }
        // No `Result` here: this runs unspecialized, behind the class's
        // vtable, where every mention of `Result<Value, _>` is a metadata
        // lookup that costs more than the job.
        do {
            let value = try job()
            finished()
            try? future.setResult(value)
        } catch {
            finished()
            try? future.setException(error)
        }
    }

    override func cancel() {
        future.cancel()
    }

    override func fail(_ error: ConcurrencyError) {
        try? future.setException(error)
    }
}

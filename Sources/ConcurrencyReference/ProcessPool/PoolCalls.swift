import ConcurrencySpec
import ConcurrencyWorker
import Synchronization

/// One unit of work on its way to a worker: a single call, or a chunk of
/// `map` calls that travels and is decoded as one value.
///
/// One object per unit, holding its futures and what to do with their
/// outcome, so a call costs one allocation besides its future.
protocol PoolCall: AnyObject, Sendable {
    /// How many calls it stands for, against batch limits and
    /// `maxTasksPerChild`.
    var count: Int { get }
    /// Whether every future it completes was cancelled.
    var isCancelled: Bool { get }
    /// Marks its futures running and returns what to send, or `nil` when all
    /// were cancelled first. Calls cancelled meanwhile are left out.
    func claim() -> (name: String, json: [UInt8])?
    /// Completes its futures with what the worker reported.
    func deliver(_ outcome: Wire.Outcome, decoder: BinaryDecoder)
    /// Fails every future not yet done (a broken pool).
    func fail(_ error: ConcurrencyError)
    /// Cancels every future not yet running.
    func cancel()
}

/// The calls of one `map`, queued a chunk at a time.
///
/// `ProcessPoolExecutor.map` is inlined into its caller so that its loop over
/// the input, which makes the futures, runs specialized; what it does per
/// chunk lives here, behind a call that is not inlined, so the pool's
/// internals stay internal.
@usableFromInline
final class MapQueue<Job: PortableJob> {
    private let core: ProcessPoolCore
    private let chunksize: Int
    @usableFromInline let deadline: ContinuousClock.Instant?
    private let encoder = BinaryEncoder()
    /// Whether a chunk reached the pool: from then on a pool that refuses
    /// calls fails them instead of making `map` throw.
    private var queuedAny = false

    /// - Throws: `invalidArgument` for a chunksize below 1; the pool's
    ///   refusal when it is shut down or broken.
    @usableFromInline
    init(core: ProcessPoolCore, timeout: Duration?, chunksize: Int) throws {
        try MapResults<Job.Result>.checkChunksize(chunksize)
        self.deadline = timeout.map { ContinuousClock.now + $0 }
        try core.checkAccepting()
        self.core = core
        self.chunksize = chunksize
    }

    /// Encodes `jobs` as one chunk (or one call each, with chunksize 1 or
    /// when the chunk does not encode, so that only the job that cannot
    /// fails) and queues them; `futures[i]` is the future of `jobs[i]`.
    @usableFromInline
    func queue(_ jobs: [Job], futures: [Future<Job.Result>]) throws {
        var calls: [any PoolCall] = []
        if chunksize > 1, let chunk = ChunkCall.make(jobs, futures: futures, encoder: encoder) {
            calls.append(chunk)
        } else {
            for index in 0..<jobs.count {
                if let call = SingleCall.make(jobs[index], future: futures[index], encoder: encoder) {
                    calls.append(call)
                }
            }
        }
        do {
            try core.enqueue(calls)
            queuedAny = true
        } catch let error as ConcurrencyError where queuedAny {
            // The pool broke or shut down after map began queuing: the
            // futures already handed out stand, so the rest fail the same
            // way instead of map throwing them away.
            for call in calls { call.fail(error) }
        }
    }
}

/// A single submitted call.
final class SingleCall<Job: PortableJob>: PoolCall {
    let future: Future<Job.Result>
    private let json: [UInt8]

    /// Encodes `job`, or fails `future` with the encoding error and returns `nil`.
    static func make(_ job: Job, future: Future<Job.Result>, encoder: BinaryEncoder) -> SingleCall? {
        do {
            return SingleCall(future: future, json: try encoder.encode(job))
        } catch {
            try? future.setException(ConcurrencyError.unserializable(
                type: String(reflecting: Job.self),
                reason: "the job could not be encoded: \(error)"
            ))
            return nil
        }
    }

    private init(future: Future<Job.Result>, json: [UInt8]) {
        self.future = future
        self.json = json
    }

    var count: Int { 1 }
    var isCancelled: Bool { future.state.isCancelled }

    func claim() -> (name: String, json: [UInt8])? {
        guard (try? future.setRunningOrNotifyCancel()) ?? false else { return nil }
        return (Job.jobName, json)
    }

    func deliver(_ outcome: Wire.Outcome, decoder: BinaryDecoder) {
        complete(future, with: outcome, of: Job.self, decoder: decoder)
    }

    func fail(_ error: ConcurrencyError) { try? future.setException(error) }
    func cancel() { future.cancel() }
}

/// `chunksize` calls of `map` that travel as one `[Job]` value and come back
/// as one `[Result]` value when all of them succeed: one encoding, one
/// decoding and one frame entry per chunk, as CPython's `_process_chunk`.
/// Each call keeps its own future.
final class ChunkCall<Job: PortableJob>: PoolCall {
    let futures: [Future<Job.Result>]
    private let jobs: [Job]
    private let json: [UInt8]
    /// The calls sent by ``claim()``, by index into `futures`.
    private let sent = Mutex<[Int]>([])

    /// Encodes `jobs` as one value, or returns `nil` when that fails (then
    /// each job should travel alone, so only the bad one fails).
    static func make(_ jobs: [Job], futures: [Future<Job.Result>], encoder: BinaryEncoder) -> ChunkCall? {
        guard let json = try? encoder.encode(jobs) else { return nil }
        return ChunkCall(jobs: jobs, futures: futures, json: json)
    }

    private init(jobs: [Job], futures: [Future<Job.Result>], json: [UInt8]) {
        self.jobs = jobs
        self.futures = futures
        self.json = json
    }

    var count: Int { futures.count }
    var isCancelled: Bool { futures.allSatisfy { $0.state.isCancelled } }

    func claim() -> (name: String, json: [UInt8])? {
        var live: [Int] = []
        live.reserveCapacity(futures.count)
        for index in 0..<futures.count where (try? futures[index].setRunningOrNotifyCancel()) ?? false {
            live.append(index)
        }
        sent.withLock { $0 = live }
        if live.isEmpty { return nil }
        if live.count == futures.count { return (WorkerJobs.chunkName(of: Job.self), json) }
        // Some were cancelled while queued: send only the others. They
        // encoded together before, so they encode as a subset too.
        let subset = live.map { jobs[$0] }
        guard let json = try? BinaryEncoder().encode(subset) else { return nil }
        return (WorkerJobs.chunkName(of: Job.self), json)
    }

    func deliver(_ outcome: Wire.Outcome, decoder: BinaryDecoder) {
        let live = sent.withLock { $0 }
        switch outcome {
        case .success(let json):
            do {
                let values = try decoder.decode([Job.Result].self, from: json)
                guard values.count == live.count else {
                    throw WireError.garbled("\(values.count) results for a chunk of \(live.count)")
                }
                // Index loops rather than zip: unspecialized, zip's
                // `(Int, Result)` elements look up a tuple's metadata each.
                for position in 0..<live.count { try? futures[live[position]].setResult(values[position]) }
            } catch {
                fail(.unserializable(type: String(reflecting: [Job.Result].self), reason: "the results could not be decoded: \(error)"))
            }
        case .chunk(let outcomes) where outcomes.count == live.count:
            for position in 0..<live.count {
                complete(futures[live[position]], with: outcomes[position], of: Job.self, decoder: decoder)
            }
        case .chunk(let outcomes):
            fail(.unserializable(type: String(reflecting: Job.self), reason: "\(outcomes.count) outcomes for a chunk of \(live.count)"))
        default:
            for index in live { complete(futures[index], with: outcome, of: Job.self, decoder: decoder) }
        }
    }

    func fail(_ error: ConcurrencyError) {
        for future in futures { try? future.setException(error) }
    }

    func cancel() {
        for future in futures { future.cancel() }
    }
}

/// Completes one call's future from its outcome. `package` for the tests.
package func complete<Job: PortableJob>(
    _ future: Future<Job.Result>,
    with outcome: Wire.Outcome,
    of _: Job.Type,
    decoder: BinaryDecoder
) {
    switch outcome {
    case .success(let json):
        let value: Job.Result
        do {
            value = try decoder.decode(Job.Result.self, from: json)
        } catch {
            try? future.setException(ConcurrencyError.unserializable(
                type: String(reflecting: Job.Result.self),
                reason: "the result could not be decoded: \(error)"
            ))
            return
        }
        try? future.setResult(value)
    case .portableError(let name, let encoding, let message):
        let error: any Error
        if let type = Job.portableErrors.first(where: { $0.errorName == name }),
           let decoded = try? decodeError(type, encoding, decoder: decoder) {
            error = decoded
        } else {
            // Not listed here, or not decodable (a worker built with another
            // version of the error type): the worker's description still
            // says what happened.
            error = RemoteJobError(typeName: name, message: message)
        }
        try? future.setException(error)
    case .remoteError(let typeName, let message):
        try? future.setException(RemoteJobError(typeName: typeName, message: message))
    case .unserializable(let type, let reason):
        try? future.setException(ConcurrencyError.unserializable(type: type, reason: reason))
    case .chunk:
        try? future.setException(ConcurrencyError.unserializable(
            type: String(reflecting: Job.self),
            reason: "the worker answered a single call with a chunk"
        ))
    }
}

private func decodeError<E: PortableError>(_ type: E.Type, _ json: [UInt8], decoder: BinaryDecoder) throws -> any Error {
    try decoder.decode(E.self, from: json)
}

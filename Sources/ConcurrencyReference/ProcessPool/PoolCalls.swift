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
        let live = futures.indices.filter { (try? futures[$0].setRunningOrNotifyCancel()) ?? false }
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
                for (index, value) in zip(live, values) { try? futures[index].setResult(value) }
            } catch {
                fail(.unserializable(type: String(reflecting: [Job.Result].self), reason: "the results could not be decoded: \(error)"))
            }
        case .chunk(let outcomes) where outcomes.count == live.count:
            for (index, outcome) in zip(live, outcomes) {
                complete(futures[index], with: outcome, of: Job.self, decoder: decoder)
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

/// Completes one call's future from its outcome.
func complete<Job: PortableJob>(
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
    case .portableError(let name, let json):
        let error: any Error
        if let type = Job.portableErrors.first(where: { $0.errorName == name }),
           let decoded = try? decodeError(type, json, decoder: decoder) {
            error = decoded
        } else {
            error = RemoteJobError(typeName: name, message: String(decoding: json, as: UTF8.self))
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

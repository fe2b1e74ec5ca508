import ConcurrencySpec

/// The job types a worker program can run, by ``ConcurrencySpec/PortableJob/jobName``.
///
/// A worker process knows only the types compiled into it and listed here,
/// as a Python worker can only unpickle functions it can import.
public struct WorkerJobs: Sendable {
    private typealias Runner = @Sendable ([UInt8], BinaryDecoder, BinaryEncoder) -> Wire.Outcome
    private let runners: [String: Runner]
    /// The registered job names, sorted (without the chunk names).
    public let names: [String]

    /// Registers `types`, each also under ``chunkName(of:)`` for `map`'s
    /// chunks. A name listed twice keeps its last type.
    public init(_ types: [any PortableJob.Type]) {
        var runners: [String: Runner] = [:]
        for type in types {
            runners[type.jobName] = Self.runner(for: type)
            runners[Self.chunkName(of: type)] = Self.chunkRunner(for: type)
        }
        self.runners = runners
        names = Set(types.map { $0.jobName }).sorted()
    }

    /// The name a chunk of `map` calls of `type` travels under: the value
    /// is an array of jobs, the answer an array of results.
    public static func chunkName(of type: any PortableJob.Type) -> String { "[\(type.jobName)]" }

    /// Decodes the job `name` from `json`, runs it, and encodes how it ended.
    package func run(name: String, json: [UInt8], decoder: BinaryDecoder = BinaryDecoder(), encoder: BinaryEncoder = BinaryEncoder()) -> Wire.Outcome {
        guard let runner = runners[name] else {
            return .unserializable(
                type: name,
                reason: "the worker program does not know this job type; list it in the jobs its ProcessWorker runs"
            )
        }
        return runner(json, decoder, encoder)
    }

    private static func runner<Job: PortableJob>(for type: Job.Type) -> Runner {
        { json, decoder, encoder in
            let job: Job
            do {
                job = try decoder.decode(Job.self, from: json)
            } catch {
                return .unserializable(type: String(reflecting: Job.self), reason: "the job could not be decoded in the worker: \(error)")
            }
            return run(job, encoder: encoder)
        }
    }

    private static func run<Job: PortableJob>(_ job: Job, encoder: BinaryEncoder) -> Wire.Outcome {
        let result: Job.Result
        do {
            result = try job.run()
        } catch {
            return outcome(of: error, listed: Job.portableErrors)
        }
        return encoded(result, of: Job.self, encoder: encoder)
    }

    /// How a call that returned `result` ended: its encoding, or why it
    /// has none.
    private static func encoded<Job: PortableJob>(_ result: Job.Result, of _: Job.Type, encoder: BinaryEncoder) -> Wire.Outcome {
        do {
            return .success(try encoder.encode(result))
        } catch {
            return .unserializable(type: String(reflecting: Job.Result.self), reason: "the result could not be encoded in the worker: \(error)")
        }
    }

    /// Runs a chunk: one decoding of `[Job]`, and one encoding of
    /// `[Result]` when every call succeeded; otherwise one outcome per call.
    private static func chunkRunner<Job: PortableJob>(for type: Job.Type) -> Runner {
        { json, decoder, encoder in
            let jobs: [Job]
            do {
                jobs = try decoder.decode([Job].self, from: json)
            } catch {
                return .unserializable(type: String(reflecting: Job.self), reason: "the chunk could not be decoded in the worker: \(error)")
            }
            var results: [Job.Result] = []
            results.reserveCapacity(jobs.count)
            for (index, job) in jobs.enumerated() {
                do {
                    results.append(try job.run())
                } catch {
                    // From the first failure on, report call by call.
                    var outcomes = results.map { encoded($0, of: Job.self, encoder: encoder) }
                    outcomes.append(outcome(of: error, listed: Job.portableErrors))
                    outcomes += jobs[(index + 1)...].map { run($0, encoder: encoder) }
                    return .chunk(outcomes)
                }
            }
            if let json = try? encoder.encode(results) { return .success(json) }
            return .chunk(results.map { encoded($0, of: Job.self, encoder: encoder) })
        }
    }

    /// How a thrown error travels: as itself when the job lists its type,
    /// otherwise as its type name and description.
    package static func outcome(of error: any Error, listed: [any PortableError.Type]) -> Wire.Outcome {
        if let portable = error as? any PortableError,
           listed.contains(where: { $0 == type(of: portable) }) {
            let name = type(of: portable).errorName
            if let json = try? BinaryEncoder().encode(portable) {
                return .portableError(name: name, encoding: json, message: String(describing: error))
            }
        }
        return .remoteError(typeName: String(reflecting: type(of: error)), message: String(describing: error))
    }
}

import ConcurrencySpec
import FoundationEssentials

/// The job types a worker program can run, by ``ConcurrencySpec/PortableJob/jobName``.
///
/// A worker process knows only the types compiled into it and listed here,
/// as a Python worker can only unpickle functions it can import.
public struct WorkerJobs: Sendable {
    private let runners: [String: @Sendable ([UInt8]) -> Wire.Outcome]

    /// Registers `types`. A name listed twice keeps its last type.
    public init(_ types: [any PortableJob.Type]) {
        var runners: [String: @Sendable ([UInt8]) -> Wire.Outcome] = [:]
        for type in types {
            runners[type.jobName] = Self.runner(for: type)
        }
        self.runners = runners
    }

    /// The registered names, sorted.
    public var names: [String] { runners.keys.sorted() }

    /// Decodes the job `name` from `json`, runs it, and encodes how it ended.
    package func run(name: String, json: [UInt8]) -> Wire.Outcome {
        guard let runner = runners[name] else {
            return .unserializable(
                type: name,
                reason: "the worker program does not know this job type; list it in the jobs its ProcessWorker runs"
            )
        }
        return runner(json)
    }

    private static func runner<Job: PortableJob>(for type: Job.Type) -> @Sendable ([UInt8]) -> Wire.Outcome {
        { json in
            let job: Job
            do {
                job = try JSONDecoder().decode(Job.self, from: Data(json))
            } catch {
                return .unserializable(type: String(reflecting: Job.self), reason: "the job could not be decoded in the worker: \(error)")
            }
            let result: Job.Result
            do {
                result = try job.run()
            } catch {
                return outcome(of: error, listed: Job.portableErrors)
            }
            do {
                return .success(Array(try JSONEncoder().encode(result)))
            } catch {
                return .unserializable(type: String(reflecting: Job.Result.self), reason: "the result could not be encoded in the worker: \(error)")
            }
        }
    }

    /// How a thrown error travels: as itself when the job lists its type,
    /// otherwise as its type name and description.
    package static func outcome(of error: any Error, listed: [any PortableError.Type]) -> Wire.Outcome {
        if let portable = error as? any PortableError,
           listed.contains(where: { $0 == type(of: portable) }) {
            let name = type(of: portable).errorName
            if let json = try? JSONEncoder().encode(portable) {
                return .portableError(name: name, json: Array(json))
            }
        }
        return .remoteError(typeName: String(reflecting: type(of: error)), message: String(describing: error))
    }
}

import ConcurrencyReference
import ConcurrencySpec
import ConcurrencyWorker
import Testing

// How a worker's portable error reaches the submitter, without a worker
// process: the worker's encoding of the outcome, the frame it travels in, and
// the parent's completion of the future are each the pool's own code.

/// A portable error that encodes but never decodes, as when the worker
/// program was built from other sources than the submitter.
private struct Undecodable: PortableError, CustomStringConvertible {
    static var errorName: String { "PortableErrorTravelTests.Undecodable" }
    let detail: String
    init(detail: String) { self.detail = detail }
    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "this build cannot read it"))
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(detail)
    }
    var description: String { "no space left for \(detail)" }
}

/// A portable error that round-trips.
private struct Readable: PortableError, Equatable {
    let code: Int
}

private struct ListsBoth: PortableJob {
    static var portableErrors: [any PortableError.Type] { [Undecodable.self, Readable.self] }
    func run() throws -> Int { 0 }
}

private struct ListsNone: PortableJob {
    func run() throws -> Int { 0 }
}

/// The outcome the worker sends for `error`, after a trip through a frame.
private func outcomeAfterTheWire(of error: any Error, listed: [any PortableError.Type]) throws -> Wire.Outcome {
    var writer = FrameWriter(.results)
    writer.append(WorkerJobs.outcome(of: error, listed: listed))
    var reader = try FrameReader(payload: Array(writer.finish().dropFirst(4)))
    let outcome = try reader.readOutcome()
    #expect(reader.isAtEnd)
    return outcome
}

/// The error a future of `Job` ends with when completed from `outcome`.
private func errorCompleting<Job: PortableJob>(_: Job.Type, from outcome: Wire.Outcome) throws -> (any Error)? {
    let future = Future<Job.Result>()
    complete(future, with: outcome, of: Job.self, decoder: BinaryDecoder())
    return try future.exception(timeout: .zero)
}

@Suite("Portable errors across the wire")
struct PortableErrorTravelTests {
    @Test func aListedErrorTravelsWithItsDescription() throws {
        let outcome = try outcomeAfterTheWire(of: Undecodable(detail: "the log"), listed: ListsBoth.portableErrors)
        guard case .portableError(let name, _, let message) = outcome else {
            Issue.record("expected a portable error, got \(outcome)")
            return
        }
        #expect(name == Undecodable.errorName)
        #expect(message == "no space left for the log")
    }

    /// The parent cannot decode the error: the submitter gets a
    /// RemoteJobError that carries the worker's description, not the
    /// encoded bytes read as text.
    @Test func anUndecodableErrorArrivesAsRemoteJobErrorWithTheWorkersDescription() throws {
        let outcome = try outcomeAfterTheWire(of: Undecodable(detail: "the log"), listed: ListsBoth.portableErrors)
        let error = try errorCompleting(ListsBoth.self, from: outcome)
        #expect(error as? RemoteJobError == RemoteJobError(
            typeName: Undecodable.errorName, message: "no space left for the log"
        ))
    }

    /// The submitter's job does not list the name the worker sent.
    @Test func anUnlistedNameArrivesAsRemoteJobErrorWithTheWorkersDescription() throws {
        let outcome = try outcomeAfterTheWire(of: Readable(code: 7), listed: ListsBoth.portableErrors)
        let error = try errorCompleting(ListsNone.self, from: outcome)
        #expect(error as? RemoteJobError == RemoteJobError(
            typeName: Readable.errorName, message: "Readable(code: 7)"
        ))
    }

    @Test func aReadableListedErrorArrivesAsItself() throws {
        let outcome = try outcomeAfterTheWire(of: Readable(code: 7), listed: ListsBoth.portableErrors)
        let error = try errorCompleting(ListsBoth.self, from: outcome)
        #expect(error as? Readable == Readable(code: 7))
    }
}

import ConcurrencyPrimitives
import ConcurrencySpec
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker side of a process pool: serves calls from the parent until it
/// closes the connection.
///
/// Two ways to have a worker program:
/// - a dedicated executable whose `main` is `ProcessWorker.run(jobs:)`;
/// - the program itself, re-launched: `main` calls
///   ``runIfRequested(jobs:)`` first, and a pool configured with
///   `WorkerProgram.currentExecutable` starts copies of the running program
///   that turn into workers there. This is the Swift twin of Python's
///   `if __name__ == '__main__':` guard, for the same reason: without it, a
///   re-launched worker would run the whole program again.
public enum ProcessWorker {
    /// The argument a pool passes to a worker program.
    public static let argument = "--concurrency-kit-worker"

    private static let guardInstalled = Atomic<Bool>(false)

    /// Whether this process called ``runIfRequested(jobs:)`` and is not a
    /// worker, so that copies of it can serve as workers.
    public static var isGuardInstalled: Bool { guardInstalled.load(ordering: .acquiring) }

    /// Turns this process into a worker and never returns if it was started
    /// as one; otherwise returns at once and marks the program as able to
    /// re-launch itself as a worker.
    ///
    /// Call it first thing in `main`, before any other work: a worker must not
    /// run the program's own code.
    public static func runIfRequested(jobs: [any PortableJob.Type]) {
        if CommandLine.arguments.dropFirst().first == argument {
            run(jobs: jobs)
        }
        guardInstalled.store(true, ordering: .releasing)
    }

    /// Serves calls on the connection the pool gave this process, then exits:
    /// with status 0 when the pool closed the connection, 1 when the
    /// initializer failed, 2 when the connection broke.
    public static func run(jobs: [any PortableJob.Type]) -> Never {
        exit(serve(descriptor: Wire.workerDescriptor, jobs: WorkerJobs(jobs)))
    }

    /// Results are sent when a batch ends or, within a long batch, once this
    /// much time has passed since the last send, so a slow call in a batch
    /// does not hold back the results of the quick ones before it.
    private static let flushInterval: Int64 = 1_000_000

    package static func serve(descriptor: Int32, jobs: WorkerJobs) -> Int32 {
        let stream = FrameStream(descriptor: descriptor)
        let decoder = BinaryDecoder()
        let encoder = BinaryEncoder()
        do {
            while let payload = try stream.next() {
                var reader = try FrameReader(payload: payload)
                switch Wire.Tag(rawValue: reader.tagByte) {
                case .initialize:
                    let name = try reader.readString("initializer name")
                    let outcome = jobs.run(name: name, json: try reader.readBytes("initializer"), decoder: decoder, encoder: encoder)
                    var reply = FrameWriter(.initialized)
                    reply.append(outcome)
                    try sendAll(descriptor, reply.finish())
                    if case .success = outcome { continue }
                    return 1
                case .runBatch:
                    try runBatch(&reader, jobs: jobs, descriptor: descriptor, decoder: decoder, encoder: encoder)
                default:
                    throw WireError.garbled("unexpected tag \(reader.tagByte) from the pool")
                }
            }
            return 0
        } catch {
            return 2
        }
    }

    private static func runBatch(
        _ reader: inout FrameReader,
        jobs: WorkerJobs,
        descriptor: Int32,
        decoder: BinaryDecoder,
        encoder: BinaryEncoder
    ) throws {
        let count = try reader.readUInt32("batch size")
        var results = FrameWriter(.results, capacity: 256)
        var pending: UInt32 = 0
        var lastSend = MonotonicInstant.now.nanoseconds
        func send() throws {
            guard pending > 0 else { return }
            // The count goes first: rebuild the frame with it.
            var frame = FrameWriter(.results, capacity: results.bytes.count + 4)
            frame.append(pending)
            frame.appendRaw(results.bytes.dropFirst(5))
            try sendAll(descriptor, frame.finish())
            results = FrameWriter(.results, capacity: 256)
            pending = 0
            lastSend = MonotonicInstant.now.nanoseconds
        }
        for _ in 0..<count {
            let id = try reader.readUInt64("call id")
            let name = try reader.readString("job name")
            let json = try reader.readBytes("job")
            results.append(id)
            results.append(jobs.run(name: name, json: json, decoder: decoder, encoder: encoder))
            pending += 1
            if MonotonicInstant.now.nanoseconds - lastSend >= flushInterval { try send() }
        }
        try send()
    }
}

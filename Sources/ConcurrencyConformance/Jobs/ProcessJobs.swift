import ConcurrencyPrimitives
import ConcurrencySpec
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Conformance {
    /// The job types the kit's clauses submit to process pools. A worker
    /// program checked by the kit registers them next to its own:
    /// `ProcessWorker.run(jobs: Conformance.workerJobs + myJobs)`.
    public static var workerJobs: [any PortableJob.Type] { ProcessJobs.all + ProbeJobs.all }
}

/// The kit's jobs for the PROC clauses: each does one thing a clause needs to
/// see from inside a worker process.
public enum ProcessJobs {
    /// Every type, for ``Conformance/workerJobs``.
    public static let all: [any PortableJob.Type] = [
        WorkerPID.self, CountInWorker.self, ExitWorker.self, KillWorker.self, SleepInWorker.self,
        FailInWorker.self, NotEncodable.self, ResultNotEncodable.self, NotDecodableInWorker.self,
        GarbleStream.self, MarkWorker.self, ReadWorkerMark.self, SpinInWorker.self, Square.self,
    ]

    /// A counter that lives in whichever process runs ``CountInWorker``.
    static let counter = Atomic<Int>(0)
    /// What ``MarkWorker`` recorded in this process: how many times it ran.
    static let marks = Atomic<Int>(0)

    /// The process ID of the process running the job (`os.getpid()`).
    public struct WorkerPID: PortableJob {
        public init() {}
        public func run() -> Int32 { getpid() }
    }

    /// Adds one to a counter global to the running process and returns the
    /// new value: the seed's "processes run independently".
    public struct CountInWorker: PortableJob {
        public init() {}
        public func run() -> Int { ProcessJobs.counter.add(1, ordering: .relaxed).newValue }

        /// The counter as this process sees it.
        public static var valueHere: Int { ProcessJobs.counter.load(ordering: .relaxed) }
    }

    /// Ends the worker process with `status` (`os._exit`): at once, or once
    /// `gate` opens on `board`, so a check can queue more calls first.
    public struct ExitWorker: PortableJob {
        public var status: Int32
        public var board: Board?
        public var gate: String?
        public init(status: Int32, after gate: String? = nil, on board: Board? = nil) {
            self.status = status
            self.gate = gate
            self.board = board
        }
        public func run() -> Int {
            if let board, let gate { board.wait(for: gate, timeout: 60) }
            _exit(status)
        }
    }

    /// Kills the worker process with SIGKILL after `delay` seconds, from
    /// inside a job, as an out-of-memory killer would.
    public struct KillWorker: PortableJob {
        public var delay: Double
        public init(delay: Double) { self.delay = delay }
        public func run() -> Int {
            pause(seconds: delay)
            kill(getpid(), SIGKILL)
            pause(seconds: 60)
            return 0
        }
    }

    /// Returns `n × n`: a value that shows which input a result belongs to.
    public struct Square: PortableJob {
        public var n: Int
        public init(_ n: Int) { self.n = n }
        public func run() -> Int { n * n }
    }

    /// A job type that no worker program registers: it is deliberately left
    /// out of ``all``, as a function a Python worker cannot import.
    public struct Unregistered: PortableJob {
        public init() {}
        public func run() -> Int { 0 }
    }

    /// Sleeps, then returns the worker's process ID.
    public struct SleepInWorker: PortableJob {
        public var seconds: Double
        public init(seconds: Double) { self.seconds = seconds }
        public func run() -> Int32 {
            pause(seconds: seconds)
            return getpid()
        }
    }

    /// The error ``FailInWorker`` throws when asked for a portable one.
    public struct WorkerFailure: PortableError, Equatable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    /// An error type that cannot travel: it is no ``ConcurrencySpec/PortableError``.
    public struct LocalFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "LocalFailure(\(message))" }
    }

    /// Throws ``WorkerFailure`` (which it lists, so it travels as itself)
    /// or ``LocalFailure`` (which travels as its name and description).
    public struct FailInWorker: PortableJob {
        public var message: String
        public var portable: Bool
        public init(message: String, portable: Bool) {
            self.message = message
            self.portable = portable
        }
        public static var portableErrors: [any PortableError.Type] { [WorkerFailure.self] }
        public func run() throws -> Int {
            if portable { throw WorkerFailure(message: message) }
            throw LocalFailure(message: message)
        }
    }

    /// A job whose encoding always fails, as an argument that cannot be
    /// pickled (a lock, a socket).
    public struct NotEncodable: PortableJob {
        public init() {}
        public init(from decoder: any Decoder) throws {}
        public func encode(to encoder: any Encoder) throws {
            throw EncodingError.invalidValue(
                self, .init(codingPath: [], debugDescription: "NotEncodable holds a resource that cannot leave its process")
            )
        }
        public func run() -> Int { 0 }
    }

    /// A result that cannot leave the worker: its encoding always throws, as
    /// a lock or an open file cannot be pickled.
    public struct WorkerResource: Codable, Sendable {
        public init() {}
        public init(from decoder: any Decoder) throws {}
        public func encode(to encoder: any Encoder) throws {
            throw EncodingError.invalidValue(
                self, .init(codingPath: [], debugDescription: "WorkerResource belongs to the worker process")
            )
        }
    }

    /// A job whose result cannot be encoded in the worker.
    public struct ResultNotEncodable: PortableJob {
        public init() {}
        public func run() -> WorkerResource { WorkerResource() }
    }

    /// A job that encodes in the parent but fails to decode in the worker.
    public struct NotDecodableInWorker: PortableJob {
        public init() {}
        public init(from decoder: any Decoder) throws {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "NotDecodableInWorker refuses to be decoded"))
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode("opaque")
        }
        public func run() -> Int { 0 }
    }

    /// Writes a frame header announcing more than any pool accepts (4 GiB)
    /// on the worker's connection, then returns normally: the worker's next
    /// frame lands inside the announced one.
    public struct GarbleStream: PortableJob {
        public init() {}
        public func run() -> Int {
            var header: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x81]
            _ = write(3, &header, header.count)
            return 0
        }
    }

    /// An initializer: records that it ran in this process.
    public struct MarkWorker: PortableJob {
        public var fail: Bool
        public init(fail: Bool = false) { self.fail = fail }
        public static var portableErrors: [any PortableError.Type] { [WorkerFailure.self] }
        public func run() throws -> Int {
            if fail { throw WorkerFailure(message: "the initializer failed on purpose") }
            return ProcessJobs.marks.add(1, ordering: .relaxed).newValue
        }
    }

    /// Returns how many times ``MarkWorker`` ran in this process, and its pid.
    public struct ReadWorkerMark: PortableJob {
        public init() {}
        public func run() -> [Int] { [ProcessJobs.marks.load(ordering: .relaxed), Int(getpid())] }
    }

    /// Keeps a core busy for `seconds` of wall time and returns when it
    /// started and ended on CLOCK_MONOTONIC, which every process of the
    /// machine shares, so intervals from different workers compare.
    public struct SpinInWorker: PortableJob {
        public var seconds: Double
        public init(seconds: Double) { self.seconds = seconds }
        public func run() -> [Int64] {
            let start = monotonicNow()
            let end = start + Int64(seconds * 1e9)
            var spins: UInt64 = 0
            while monotonicNow() < end { spins &+= 1 }
            return [start, monotonicNow(), Int64(bitPattern: spins)]
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the same clock in every process, so
/// times taken in different workers compare.
func monotonicNow() -> Int64 { MonotonicInstant.now.nanoseconds }

private func pause(seconds: Double) { blockingSleep(.nanoseconds(Int64(seconds * 1e9))) }

import ConcurrencySpec
import SeedJobs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds its worker until every one of `parties` calls of the same
/// rendezvous has started, then returns the worker's pid.
///
/// The pool-start workload submits `parties` of these to a fresh pool: no
/// worker can answer before all of them run one call each, so the time until
/// every result is in is the time until every worker is up and serving,
/// without a fixed sleep that would have to be longer than the gap between
/// the first worker's start and the last one's. Call `index` marks its arrival
/// by creating the file `directory/index`, then polls (every 20 µs) for the
/// files of the others. bench_processpool.py's `rendezvous` is the same.
public struct Rendezvous: PortableJob {
    public var directory: String
    public var index: Int
    public var parties: Int

    public init(directory: String, index: Int, parties: Int) {
        self.directory = directory
        self.index = index
        self.parties = parties
    }

    /// Gives up after this long (a pool that never starts the other workers).
    static let patienceNanoseconds: Int64 = 10_000_000_000

    public func run() throws -> Int32 {
        let mine = open("\(directory)/\(index)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard mine >= 0 else { throw RendezvousError(message: "cannot create \(directory)/\(index): errno \(errno)") }
        close(mine)
        let others = (0..<parties).filter { $0 != index }.map { "\(directory)/\($0)" }
        let start = monotonicNow()
        for path in others {
            while access(path, F_OK) != 0 {
                if monotonicNow() - start > Self.patienceNanoseconds {
                    throw RendezvousError(message: "\(path) did not appear within 10 s")
                }
                usleep(20)
            }
        }
        return getpid()
    }
}

public struct RendezvousError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

private func monotonicNow() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// The jobs the benchmark's workers serve: the seed's, and the rendezvous.
public let benchmarkJobs: [any PortableJob.Type] = seedJobs + [Rendezvous.self]

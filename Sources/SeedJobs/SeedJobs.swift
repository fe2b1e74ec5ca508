import ConcurrencySpec
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The seed's `is_prime`: trial division by odd numbers up to √n.
public struct IsPrime: PortableJob {
    public var n: Int

    public init(_ n: Int) { self.n = n }

    public func run() -> Bool { isPrime(n) }
}

/// `is_prime` itself, for callers that run it without a pool (the serial
/// baseline of the benchmarks and the twins).
public func isPrime(_ n: Int) -> Bool {
    if n < 2 { return false }
    if n == 2 { return true }
    if n % 2 == 0 { return false }
    let root = Int(Double(n).squareRoot())
    var divisor = 3
    while divisor <= root {
        if n % divisor == 0 { return false }
        divisor += 2
    }
    return true
}

/// The seed's `return_after(message)`: sleeps, then returns the message.
public struct ReturnAfter: PortableJob {
    public var message: String
    public var seconds: Double

    public init(_ message: String, seconds: Double) {
        self.message = message
        self.seconds = seconds
    }

    public func run() -> String {
        sleepInWorker(seconds: seconds)
        return message
    }
}

/// `time.sleep(seconds)`, resumed after signals.
public func sleepInWorker(seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR {
        request = remaining
    }
}

/// `os.getpid()` in the worker.
public struct WorkerProcessID: PortableJob {
    public init() {}

    public func run() -> Int32 { getpid() }
}

/// A job that does nothing and returns its number: the unit of the
/// throughput benchmarks.
public struct Echo: PortableJob {
    public var value: Int

    public init(_ value: Int) { self.value = value }

    public func run() -> Int { value }
}

/// The seed's numbers: five large primes and one composite
/// (1099726899285419 = 3306091 × 332636609).
public let PRIMES: [Int] = [
    112_272_535_095_293,
    112_582_705_942_171,
    112_272_535_095_293,
    115_280_095_190_773,
    115_797_848_077_099,
    1_099_726_899_285_419,
]

/// Every job type of this module, for worker programs to register.
public let seedJobs: [any PortableJob.Type] = [IsPrime.self, ReturnAfter.self, WorkerProcessID.self, Echo.self]

import ConcurrencyReference
import ConcurrencySpec
import ConcurrencyWorker
import Foundation
import ProcessBenchJobs
import SeedJobs

// The worker guard, first thing: the pools below re-launch this program as
// their workers (WorkerProgram.currentExecutable), and a re-launched copy
// must turn into a worker here instead of running the benchmarks again.
// Python's `if __name__ == '__main__':`, which bench_processpool.py has too.
ProcessWorker.runIfRequested(jobs: benchmarkJobs)

// The process-pool workloads: the reference ProcessPoolExecutor on
// bench_processpool.py's workloads, at its sizes and run counts, with its
// timed regions. Prints bench_processpool.py's JSON shape on stdout
// (progress on stderr):
//
//   {"swift": "process-bench (release build)", "smoke": false,
//    "programs": {"self": "<path>", "minimal": "<path>"},
//    "results": [{"key": "self.submit_collect", "n": 10000, "times_s": [...]}, ...]}
//
// Keys are "<program>.<workload>", program "self" (pools re-launch this
// binary) or "minimal" (pools start process-bench-worker, found beside this
// binary or named with --worker), plus "serial.primes":
//   submit_collect  N Echo submits on a warm 2-worker pool, then every
//                   result in order; one time per run (divide by n)
//   round_trip      N × submit(Echo(i)).result() on a warm pool (divide by n)
//   map_chunked     map(N Echo jobs, chunksize: 100) on a warm pool, every
//                   result read (divide by n)
//   pool_start      from creating a 2-worker pool until two Rendezvous calls
//                   (each waits until both have started) have returned from
//                   two different workers; n = 2 workers, not divided
//   primes_pool2    map(PRIMES as IsPrime, chunksize: 1) on a warm pool;
//                   n = 6 numbers, not divided
//   serial.primes   isPrime over PRIMES in this process, not divided
// A warm pool is a fresh pool per run whose two workers have each answered a
// Rendezvous before the clock starts; it is shut down (wait: true) after the
// clock stops.
//
//   process-bench [--smoke] [--only WORKLOAD[,...]] [--programs self,minimal]
//                 [--worker PATH] [--n N] [--runs R] [--out FILE]
//
// CK_BENCH_SMOKE=1 in the environment also selects the smoke sizes. --n and
// --runs are for profilers; run.sh uses neither, and compare.py refuses sizes
// that differ from bench_processpool.py's.

let workloadNames = ["submit_collect", "round_trip", "map_chunked", "pool_start", "primes"]
let workers = 2
let mapChunksize = 100

func usage(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("""
        \(message)
        usage: process-bench [--smoke] [--only WORKLOAD[,WORKLOAD...]] [--programs self,minimal]
                             [--worker PATH] [--n N] [--runs R] [--out FILE]
        WORKLOAD: \(workloadNames.joined(separator: " | "))

        """.utf8))
    exit(status)
}

func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func format(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

/// CLOCK_MONOTONIC, what time.perf_counter reads on Linux.
@inline(__always)
func now() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

@inline(__always)
func seconds(since start: Int64) -> Double {
    Double(now() - start) / 1e9
}

// MARK: Sizes, bench_processpool.py's `sizes()`

struct Sizes {
    let submitJobs: Int
    let roundTrips: Int
    let mapItems: Int
    let primes: [Int]
    let smoke: Bool
    let givenRuns: Int?

    init(smoke: Bool, n: Int?, runs: Int?) {
        self.smoke = smoke
        submitJobs = n ?? (smoke ? 1_000 : 10_000)
        roundTrips = n ?? (smoke ? 100 : 2_000)
        mapItems = n ?? (smoke ? 1_000 : 10_000)
        primes = smoke ? [1_000_003, 1_000_033, 1_000_003, 1_000_037, 1_000_039, 1_000_001] : PRIMES
        givenRuns = runs
    }

    func runs(_ workload: String) -> Int {
        if let givenRuns { return givenRuns }
        if smoke { return workload == "pool_start" ? 3 : 1 }
        return workload == "pool_start" ? 15 : 5
    }
}

let primeVerdicts = [true, true, true, true, true, false]

// MARK: Pools

/// A scratch directory for one rendezvous, made and removed outside any
/// timed region.
struct RendezvousDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/ck-rendezvous-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw BenchmarkFailure(description: "mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    func remove() {
        for index in 0..<workers { unlink("\(path)/\(index)") }
        rmdir(path)
    }
}

/// Submits one Rendezvous per worker and checks that as many different
/// workers answered.
func rendezvous(_ pool: ProcessPoolExecutor, in directory: RendezvousDirectory) throws {
    let futures = try (0..<workers).map {
        try pool.submit(Rendezvous(directory: directory.path, index: $0, parties: workers))
    }
    let pids = Set(try futures.map { try $0.result() })
    guard pids.count == workers else {
        throw BenchmarkFailure(description: "\(workers) rendezvous calls were answered by \(pids.count) worker(s)")
    }
}

/// A fresh pool whose workers have all answered one call.
func warmPool(_ program: WorkerProgram) throws -> ProcessPoolExecutor {
    let pool = try ProcessPoolExecutor(maxWorkers: workers, program: program)
    let directory = try RendezvousDirectory()
    defer { directory.remove() }
    try rendezvous(pool, in: directory)
    return pool
}

/// Runs `body` on a fresh warm pool; only `body`'s own clock counts.
func onWarmPool(_ program: WorkerProgram, _ body: (ProcessPoolExecutor) throws -> Double) throws -> Double {
    let pool = try warmPool(program)
    defer { pool.shutdown(wait: true) }
    return try body(pool)
}

func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw BenchmarkFailure(description: what()) }
}

// MARK: Workloads

/// 1. N submits of Echo, then every result in submission order.
func submitCollect(_ program: WorkerProgram, _ n: Int) throws -> Double {
    try onWarmPool(program) { pool in
        let start = now()
        var futures: [any ConcurrentFuture<Int>] = []
        futures.reserveCapacity(n)
        for index in 0..<n {
            futures.append(try pool.submit(Echo(index)))
        }
        var sum = 0
        for future in futures { sum += try future.result() }
        let elapsed = seconds(since: start)
        try check(sum == n * (n - 1) / 2, "submit_collect: wrong sum \(sum)")
        return elapsed
    }
}

/// 2. N one-at-a-time round trips.
func roundTrip(_ program: WorkerProgram, _ n: Int) throws -> Double {
    try onWarmPool(program) { pool in
        let start = now()
        var sum = 0
        for index in 0..<n {
            sum += try pool.submit(Echo(index)).result()
        }
        let elapsed = seconds(since: start)
        try check(sum == n * (n - 1) / 2, "round_trip: wrong sum \(sum)")
        return elapsed
    }
}

/// 3. map over N Echo jobs, chunksize 100, every result read.
func mapChunked(_ program: WorkerProgram, _ n: Int) throws -> Double {
    try onWarmPool(program) { pool in
        let start = now()
        let results = try pool.map((0..<n).lazy.map(Echo.init), timeout: nil, chunksize: mapChunksize).collect()
        let elapsed = seconds(since: start)
        try check(results.count == n && results.last == n - 1, "map_chunked: wrong results")
        return elapsed
    }
}

/// 4. From creating the pool until both workers have answered a rendezvous.
func poolStart(_ program: WorkerProgram) throws -> Double {
    let directory = try RendezvousDirectory()
    defer { directory.remove() }
    let start = now()
    let pool = try ProcessPoolExecutor(maxWorkers: workers, program: program)
    try rendezvous(pool, in: directory)
    let elapsed = seconds(since: start)
    pool.shutdown(wait: true)
    return elapsed
}

/// 5. The seed's is_prime over PRIMES on the warm pool, one number per call.
func primesPool(_ program: WorkerProgram, _ numbers: [Int]) throws -> Double {
    try onWarmPool(program) { pool in
        let start = now()
        let verdicts = try pool.map(numbers.map(IsPrime.init), timeout: nil, chunksize: 1).collect()
        let elapsed = seconds(since: start)
        try check(verdicts == primeVerdicts, "primes_pool2: wrong verdicts \(verdicts)")
        return elapsed
    }
}

func primesSerial(_ numbers: [Int]) throws -> Double {
    let start = now()
    let verdicts = numbers.map(isPrime)
    let elapsed = seconds(since: start)
    try check(verdicts == primeVerdicts, "serial primes: wrong verdicts \(verdicts)")
    return elapsed
}

// MARK: Report

struct Report {
    let smoke: Bool
    var results: [(key: String, n: Int, times: [Double])] = []

    /// Records one row; `perItem` says whether n divides the times.
    mutating func record(_ key: String, _ n: Int, _ times: [Double], perItem: Bool) {
        results.append((key, n, times))
        let sorted = times.sorted()
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        let divisor = perItem ? Double(n) : 1
        let unit = perItem ? "µs per item" : "ms per run"
        let scale = perItem ? 1e6 : 1e3
        log("  \(key) n=\(n): median \(format(median / divisor * scale, 2)), best \(format(sorted[0] / divisor * scale, 2)),"
            + " worst \(format(sorted[sorted.count - 1] / divisor * scale, 2)) \(unit) over \(times.count) runs")
    }

    func json(build: String, programs: [(String, String)]) -> String {
        func string(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = ["{"]
        lines.append("  \"swift\": \(string("process-bench (\(build) build)")),")
        lines.append("  \"smoke\": \(smoke),")
        lines.append("  \"programs\": {" + programs.map { "\(string($0.0)): \(string($0.1))" }.joined(separator: ", ") + "},")
        lines.append("  \"results\": [")
        for (index, result) in results.enumerated() {
            let times = result.times.map { "\($0)" }.joined(separator: ", ")
            let comma = index == results.count - 1 ? "" : ","
            lines.append("    {\"key\": \(string(result.key)), \"n\": \(result.n), \"times_s\": [\(times)]}\(comma)")
        }
        lines.append("  ]")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

// MARK: Arguments

var smoke: Bool = {
    guard let value = ProcessInfo.processInfo.environment["CK_BENCH_SMOKE"] else { return false }
    return !value.isEmpty && value != "0"
}()
var only = Set(workloadNames)
var programNames = ["self", "minimal"]
var workerPath: String?
var outPath = "-"
var givenN: Int?
var givenRuns: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--smoke":
        smoke = true
    case "--only":
        guard let list = arguments.popFirst() else { usage("--only needs a value") }
        only = Set(list.split(separator: ",").map(String.init))
        if let unknown = only.first(where: { !workloadNames.contains($0) }) { usage("unknown workload \(unknown)") }
    case "--programs":
        guard let list = arguments.popFirst() else { usage("--programs needs a value") }
        programNames = list.split(separator: ",").map(String.init)
        if let unknown = programNames.first(where: { $0 != "self" && $0 != "minimal" }) { usage("unknown program \(unknown)") }
    case "--worker":
        guard let path = arguments.popFirst() else { usage("--worker needs a value") }
        workerPath = path
    case "--n":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else { usage("--n needs a positive number") }
        givenN = value
    case "--runs":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else { usage("--runs needs a positive number") }
        givenRuns = value
    case "--out":
        guard let path = arguments.popFirst() else { usage("--out needs a value") }
        outPath = path
    case "-h", "--help":
        usage("process-bench: the process-pool workloads on ProcessPoolExecutor", status: 0)
    default:
        usage("unknown argument \(argument)")
    }
}

#if DEBUG
let build = "debug"
#else
let build = "release"
#endif

let selfProgram = WorkerProgram.currentExecutable
var programs: [(name: String, program: WorkerProgram)] = []
for name in programNames {
    if name == "self" {
        programs.append(("self", selfProgram))
    } else {
        let directory = selfProgram.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = workerPath ?? directory + "/process-bench-worker"
        if access(path, X_OK) == 0 {
            programs.append(("minimal", .executable(path)))
        } else {
            log("process-bench: no minimal worker at \(path) (swift build -c release --product process-bench-worker): its rows are left out")
        }
    }
}

let sizes = Sizes(smoke: smoke, n: givenN, runs: givenRuns)
var report = Report(smoke: smoke)
log("process-bench: ProcessPoolExecutor, \(workers) workers, \(build) build (\(smoke ? "smoke" : "full") sizes)")
for (name, program) in programs { log("  program \(name): \(program.path)") }
if build == "debug" {
    log("WARNING: a debug build: measure with swift build -c release")
}

do {
    for (name, program) in programs {
        if only.contains("submit_collect") {
            let n = sizes.submitJobs
            report.record("\(name).submit_collect", n,
                          try (0..<sizes.runs("submit_collect")).map { _ in try submitCollect(program, n) }, perItem: true)
        }
        if only.contains("round_trip") {
            let n = sizes.roundTrips
            report.record("\(name).round_trip", n,
                          try (0..<sizes.runs("round_trip")).map { _ in try roundTrip(program, n) }, perItem: true)
        }
        if only.contains("map_chunked") {
            let n = sizes.mapItems
            report.record("\(name).map_chunked", n,
                          try (0..<sizes.runs("map_chunked")).map { _ in try mapChunked(program, n) }, perItem: true)
        }
        if only.contains("pool_start") {
            report.record("\(name).pool_start", workers,
                          try (0..<sizes.runs("pool_start")).map { _ in try poolStart(program) }, perItem: false)
        }
        if only.contains("primes") {
            report.record("\(name).primes_pool2", sizes.primes.count,
                          try (0..<sizes.runs("primes")).map { _ in try primesPool(program, sizes.primes) }, perItem: false)
        }
    }
    if only.contains("primes") {
        report.record("serial.primes", sizes.primes.count,
                      try (0..<sizes.runs("primes")).map { _ in try primesSerial(sizes.primes) }, perItem: false)
    }
} catch {
    log("process-bench: \(error)")
    exit(1)
}

let text = report.json(build: build, programs: programs.map { ($0.name, $0.program.path) })
if outPath == "-" {
    FileHandle.standardOutput.write(Data(text.utf8))
} else {
    do {
        try text.write(toFile: outPath, atomically: true, encoding: .utf8)
    } catch {
        log("process-bench: cannot write \(outPath): \(error)")
        exit(1)
    }
}

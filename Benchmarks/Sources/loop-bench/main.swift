import Foundation

// The event-loop side of issue 4: the reference SerialEventLoop (real clock)
// on bench_asyncio.py's four workloads, at its sizes and run counts, with
// its timed regions, plus a plain Swift TaskGroup on the tasks workload.
// Prints bench_asyncio.py's JSON shape on stdout (progress on stderr):
//
//   {"swift": "loop-bench (release build)", "smoke": false,
//    "loops": {"reference": "SerialEventLoop (real clock)", "swift-taskgroup": "..."},
//    "results": [{"key": "reference.call_soon", "n": 1000000, "times_s": [...]}, ...]}
//
// Keys: reference.call_soon, reference.create_task_gather,
// swift-taskgroup.create_task_gather, reference.call_later: one batch time
// per run, in seconds (divide by n); reference.sleep_overshoot_p50, _p99 and
// _max: that statistic of each run's overshoots, in seconds (not divided).
//
//   loop-bench [--smoke] [--only WORKLOAD[,WORKLOAD...]] [--n N] [--runs R] [--out FILE]
//   WORKLOAD: call_soon | create_task_gather | taskgroup | call_later | sleep_overshoot
//
// CK_BENCH_SMOKE=1 in the environment also selects the smoke sizes. --only,
// --n (the size of every workload selected) and --runs are for profilers
// (perf, valgrind --tool=callgrind); run.sh uses none of them, and
// compare.py refuses sizes that differ from bench_asyncio.py's.

let workloadNames = ["call_soon", "create_task_gather", "taskgroup", "call_later", "sleep_overshoot"]

func usage(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("""
        \(message)
        usage: loop-bench [--smoke] [--only WORKLOAD[,WORKLOAD...]] [--n N] [--runs R] [--out FILE]
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

/// The measurements of one invocation, in the order they were taken.
struct Report {
    let smoke: Bool
    /// --runs, when given.
    let givenRuns: Int?
    var results: [(key: String, n: Int, times: [Double])] = []

    /// bench_asyncio.py's (and bench_cpython.py's) counts: fewer runs for
    /// the bigger batches, one in smoke mode.
    func runs(_ n: Int) -> Int {
        if let givenRuns { return givenRuns }
        if smoke { return 1 }
        return n >= 1_000_000 ? 3 : n >= 100_000 ? 5 : 10
    }

    /// Records a batch workload: one time per run, for n items.
    mutating func record(_ key: String, _ n: Int, _ times: [Double]) {
        results.append((key, n, times))
        let sorted = times.sorted()
        let middle = sorted.count / 2
        let best = sorted[0]
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        log("  \(key) n=\(n): best \(format(best, 4)) s, median \(format(median, 4)) s over \(times.count) runs"
            + " (\(format(best / Double(n) * 1e6, 3)) / \(format(median / Double(n) * 1e6, 3)) µs per item)")
    }

    /// bench_asyncio.py's JSON, by hand so that the keys keep their order.
    /// Swift prints a Double with the fewest digits that read back exactly,
    /// as Python's repr does.
    func json(build: String) -> String {
        func string(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = ["{"]
        lines.append("  \"swift\": \(string("loop-bench (\(build) build)")),")
        lines.append("  \"smoke\": \(smoke),")
        lines.append("  \"loops\": {\"reference\": \(string("SerialEventLoop (real clock)")), "
            + "\"swift-taskgroup\": \(string("withTaskGroup on the global concurrent executor"))},")
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
        usage("loop-bench: the event-loop workloads of issue 4 on SerialEventLoop", status: 0)
    default:
        usage("unknown argument \(argument)")
    }
}

#if DEBUG
let build = "debug"
#else
let build = "release"
#endif

// MARK: Workloads

let sizes = LoopSizes(smoke: smoke, n: givenN)
var report = Report(smoke: smoke, givenRuns: givenRuns)
log("loop-bench: SerialEventLoop, real clock, \(build) build (\(smoke ? "smoke" : "full") sizes)")
if build == "debug" {
    log("WARNING: a debug build: measure with swift build -c release")
}

do {
    if only.contains("call_soon") {
        let n = sizes.callSoon
        report.record("reference.call_soon", n, try (0..<report.runs(n)).map { _ in try callSoonBatch(n) })
    }
    if only.contains("create_task_gather") {
        let n = sizes.tasks
        report.record("reference.create_task_gather", n, try (0..<report.runs(n)).map { _ in try createTaskGather(n) })
    }
    if only.contains("taskgroup") {
        let n = sizes.tasks
        report.record("swift-taskgroup.create_task_gather", n,
                      (0..<report.runs(n)).map { _ in blocking { await taskGroupYieldCollect(n) } })
    }
    if only.contains("call_later") {
        let n = sizes.timers
        let delays = timerDelays(n)
        let batches = try (0..<report.runs(n)).map { _ in try callLaterBatch(delays) }
        report.record("reference.call_later", n, batches.map(\.total))
        log("    of which scheduling (the callLater calls alone), per run: "
            + batches.map { format($0.scheduling, 4) + " s" }.joined(separator: ", "))
    }
    if only.contains("sleep_overshoot") {
        // 200 sleeps of 10 ms take 2 s a run: 3 runs, like the 1M batches.
        let n = sizes.sleeps
        let quantiles: [(label: String, q: Double)] = [("p50", 0.50), ("p99", 0.99), ("max", 1.0)]
        var perRun = [[Double]](repeating: [], count: quantiles.count)
        for _ in 0..<(givenRuns ?? (smoke ? 1 : 3)) {
            let overshoots = try sleepOvershoots(n).sorted()
            for (index, quantile) in quantiles.enumerated() {
                perRun[index].append(nearestRank(overshoots, quantile.q))
            }
        }
        for (index, quantile) in quantiles.enumerated() {
            report.results.append(("reference.sleep_overshoot_\(quantile.label)", n, perRun[index]))
        }
        let perRunText = quantiles.indices.map { index in
            quantiles[index].label + " " + perRun[index].map { format($0 * 1e6, 0) }.joined(separator: "/")
        }
        log("  reference.sleep_overshoot n=\(n): per run " + perRunText.joined(separator: "; ") + " µs")
    }
} catch {
    log("loop-bench: \(error)")
    exit(1)
}

let text = report.json(build: build)
if outPath == "-" {
    FileHandle.standardOutput.write(Data(text.utf8))
} else {
    do {
        try text.write(toFile: outPath, atomically: true, encoding: .utf8)
    } catch {
        log("loop-bench: cannot write \(outPath): \(error)")
        exit(1)
    }
}

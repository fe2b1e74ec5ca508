import ConcurrencyReference
import ConcurrencySpec
import Dispatch
import Foundation
import PoolWorkloads

// Runs one workload a few times outside the benchmark harness and prints the
// best and median time per item, for profilers and as a cross-check of the
// package-benchmark figures (no malloc interposer, no sampling thread).
//
//   pool-profile WORKLOAD [N] [RUNS]
//   WORKLOAD: submit_collect | dispatch | round_trip | as_completed | wait | primes_serial | primes_pool2
//
// Under callgrind, use RUNS=1 and a smaller N:
//   valgrind --tool=callgrind .build/release/pool-profile submit_collect 20000 1

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: pool-profile WORKLOAD [N] [RUNS]")
    exit(2)
}
let workload = arguments[1]
/// N, when given as a number ("" or "-" keep the default).
let givenN = arguments.count > 2 ? Int(arguments[2]) : nil
let runs = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5

func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func report(_ times: [Double], items: Int, unit: String) {
    let sorted = times.sorted()
    let best = sorted[0], median = sorted[sorted.count / 2]
    print(String(format: "%@ n=%d runs=%d: best %.3f µs/%@, median %.3f µs/%@ (best run %.4f s)",
                 workload, items, times.count, best / Double(items) * 1e6, unit,
                 median / Double(items) * 1e6, unit, best))
}

var times: [Double] = []
switch workload {
case "submit_collect", "dispatch", "round_trip":
    let n = givenN ?? (workload == "round_trip" ? Sizes.roundTrips : Sizes.submitJobs)
    for _ in 0..<runs {
        if workload == "dispatch" {
            let queue = makeDispatchQueue()
            times.append(time { precondition(dispatchSubmitThenCollect(queue, jobs: n) == 0) })
            continue
        }
        let pool = try ThreadPoolExecutor(maxWorkers: Sizes.workers)
        if workload == "round_trip" {
            _ = try roundTrips(pool, count: 10)
            times.append(try time { let sum = try roundTrips(pool, count: n); precondition(sum == 0) })
        } else {
            times.append(try time { let sum = try submitThenCollect(pool, jobs: n); precondition(sum == 0) })
        }
        pool.shutdown(wait: true)
    }
    report(times, items: n, unit: workload == "round_trip" ? "trip" : "job")
case "as_completed", "wait":
    let n = givenN ?? 100_000
    let futures = finishedFutures(n)
    for _ in 0..<runs {
        times.append(try time {
            let count = workload == "wait" ? waitAll(futures) : try drainAsCompleted(futures)
            precondition(count == n)
        })
    }
    report(times, items: n, unit: "future")
case "primes_serial", "primes_pool2":
    let primes = Sizes.primes
    for _ in 0..<runs {
        if workload == "primes_serial" {
            times.append(time { precondition(primesSerial(primes).count == primes.count) })
        } else {
            let pool = try ThreadPoolExecutor(maxWorkers: Sizes.workers)
            times.append(try time { let verdicts = try primesOnPool(pool, primes); precondition(verdicts.count == primes.count) })
            pool.shutdown(wait: true)
        }
    }
    report(times, items: 1, unit: "call")
default:
    print("unknown workload \(workload)")
    exit(2)
}

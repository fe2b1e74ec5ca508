import ConcurrencyReference
import ConcurrencySpec
import Dispatch

// The event-loop workloads of issue 4 on the reference SerialEventLoop, in
// real-clock mode, and the plain Swift TaskGroup twin of the tasks workload.
// bench_asyncio.py runs the same workloads at the same sizes on asyncio and
// uvloop, with the same timed regions; keep the two in step (compare.py
// refuses rows whose sizes differ).

/// Workload sizes, bench_asyncio.py's `sizes()`.
struct LoopSizes {
    let callSoon: Int
    let tasks: Int
    let timers: Int
    let sleeps: Int

    /// - Parameter n: Every size, when given (for profiling).
    init(smoke: Bool, n: Int? = nil) {
        callSoon = n ?? (smoke ? 1_000 : 1_000_000)
        tasks = n ?? (smoke ? 1_000 : 100_000)
        timers = n ?? (smoke ? 1_000 : 1_000_000)
        sleeps = n ?? (smoke ? 20 : 200)
    }
}

/// The sleep of workload 4, and the width of workload 3's window of delays.
let sleepNanoseconds: Int64 = 10_000_000
let timerMaxDelaySeconds = 0.010
let timerSeed: UInt32 = 42

/// The monotonic clock, in nanoseconds: CLOCK_MONOTONIC on Linux, which is
/// what time.perf_counter and the loop itself read.
@inline(__always)
func nowNanoseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}

@inline(__always)
func seconds(_ nanoseconds: UInt64) -> Double {
    Double(nanoseconds) / 1e9
}

/// Runs `body` as a task of a fresh real-clock loop, with the loop running
/// on the calling thread, and returns its result. Making and closing the loop
/// happen outside `body`, so outside any timed region, as in
/// bench_asyncio.py's `run_on_fresh_loop`.
func onFreshLoop<Value: Sendable>(
    _ body: @escaping @Sendable (SerialEventLoop) async throws -> Value
) throws -> Value {
    let loop = SerialEventLoop(clock: .real)
    let outcome = Result { try loop.runUntilComplete { try await body(loop) } }
    try loop.close()
    return try outcome.get()
}

// MARK: 1. call_soon: N no-op callbacks, then one more that stops the clock

func callSoonBatch(_ n: Int) throws -> Double {
    try onFreshLoop { loop in
        let finished = loop.createFuture(of: UInt64.self)
        let start = nowNanoseconds()
        for _ in 0..<n {
            try loop.callSoon {}
        }
        // Ready callbacks run in the order they were scheduled, so when this
        // one runs, all n no-ops before it have run.
        try loop.callSoon { try finished.setResult(nowNanoseconds()) }
        return seconds(try await finished.value - start)
    }
}

// MARK: 2. N tasks that each yield once, gathered

func createTaskGather(_ n: Int) throws -> Double {
    try onFreshLoop { loop in
        let start = nowNanoseconds()
        var tasks: [any LoopFuture<Void>] = []
        for _ in 0..<n {
            // sleep(.zero) is asyncio.sleep(0): one bare yield to the loop.
            tasks.append(try loop.createTask { try await loop.sleep(.zero) })
        }
        let results: [Void] = try await loop.gather(tasks).value
        let elapsed = nowNanoseconds() - start
        precondition(results.count == n, "gather returned \(results.count) results for \(n) tasks")
        return seconds(elapsed)
    }
}

/// The same shape in plain Swift: N child tasks of a TaskGroup on the global
/// concurrent executor (both cores), each `await Task.yield()`, then every
/// result collected.
@concurrent
func taskGroupYieldCollect(_ n: Int) async -> Double {
    let start = nowNanoseconds()
    let count = await withTaskGroup(of: Int.self) { group in
        for _ in 0..<n {
            group.addTask {
                await Task.yield()
                return 1
            }
        }
        var count = 0
        for await one in group {
            count += one
        }
        return count
    }
    let elapsed = nowNanoseconds() - start
    precondition(count == n, "the task group collected \(count) results for \(n) tasks")
    return seconds(elapsed)
}

// MARK: 3. N callLater timers over a 10 ms window, until the last one fires

/// Python's `random.Random(seed)` (MT19937, seeded as CPython seeds it from a
/// small non-negative int) and its `random()` and `uniform(a, b)`, bit for
/// bit, so both sides schedule exactly the same delays.
struct PythonRandom {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt32) {
        // init_genrand(19650218), then init_by_array([seed]).
        state[0] = 19_650_218
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        let key = [seed]
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= 624 { state[0] = state[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { state[0] = state[623]; i = 1 }
        }
        state[0] = 0x8000_0000
    }

    private mutating func twist() {
        for k in 0..<624 {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7fff_ffff)
            state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_b0df)
        }
        index = 0
    }

    mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// `random()`: 53 random bits in [0, 1).
    mutating func random() -> Double {
        let a = nextUInt32() >> 5, b = nextUInt32() >> 6
        return (Double(a) * 67_108_864.0 + Double(b)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `uniform(a, b)`.
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * random()
    }
}

/// bench_asyncio.py's `timer_delays(n)`: the same delays for every run, here
/// and there, to the nanosecond.
func timerDelays(_ n: Int) -> [Duration] {
    var generator = PythonRandom(seed: timerSeed)
    return (0..<n).map { _ in
        .nanoseconds(Int64((generator.uniform(0, timerMaxDelaySeconds) * 1e9).rounded()))
    }
}

/// The number of timers still to fire. Touched only on the loop's thread
/// (timer callbacks), hence `@unchecked Sendable` without a lock, as
/// bench_asyncio.py counts down with a plain `nonlocal`.
private final class Countdown: @unchecked Sendable {
    var remaining: Int
    init(_ count: Int) { remaining = count }
}

/// Returns the batch time (the measurement) and, for the log only, the part
/// of it spent scheduling: with a million timers it exceeds the 10 ms window.
func callLaterBatch(_ delays: [Duration]) throws -> (total: Double, scheduling: Double) {
    try onFreshLoop { loop in
        let finished = loop.createFuture(of: UInt64.self)
        let countdown = Countdown(delays.count)
        // Timers with equal deadlines fire in no set order that the other
        // side shares, and later callLater calls see a later clock, so the
        // last to fire is not known in advance: count them down.
        let fire: @Sendable () throws -> Void = {
            countdown.remaining -= 1
            if countdown.remaining == 0 { try finished.setResult(nowNanoseconds()) }
        }
        let start = nowNanoseconds()
        for delay in delays {
            try loop.callLater(delay, fire)
        }
        let scheduled = nowNanoseconds()
        return (seconds(try await finished.value - start), seconds(scheduled - start))
    }
}

// MARK: 4. sleep(10 ms), one after another: how late each wakes up

/// The overshoot of each of `n` successive 10 ms sleeps, in seconds
/// (negative when a sleep ended early against the monotonic clock).
func sleepOvershoots(_ n: Int) throws -> [Double] {
    try onFreshLoop { loop in
        var overshoots: [Double] = []
        overshoots.reserveCapacity(n)
        for _ in 0..<n {
            let start = nowNanoseconds()
            try await loop.sleep(.nanoseconds(sleepNanoseconds))
            let elapsed = Int64(nowNanoseconds() - start)
            overshoots.append(Double(elapsed - sleepNanoseconds) / 1e9)
        }
        return overshoots
    }
}

/// Runs `body` as a detached task and blocks the calling thread, which must
/// not be running a Swift task, until it is done. The loop workloads run
/// their loops on the main thread, so it stays outside every Swift task.
func blocking<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) -> Value {
    let box = BlockingBox<Value>()
    Task.detached {
        box.value = await body()
        box.done.signal()
    }
    box.done.wait()
    return box.value!
}

/// `@unchecked Sendable`: `value` is written by the task before `signal` and
/// read after `wait`, which orders the two.
private final class BlockingBox<Value>: @unchecked Sendable {
    var value: Value?
    let done = DispatchSemaphore(value: 0)
}

/// Nearest rank, `sorted[ceil(q * n) - 1]`, as bench_asyncio.py computes it.
func nearestRank(_ sorted: [Double], _ q: Double) -> Double {
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[max(0, rank)]
}

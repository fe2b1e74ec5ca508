import ConcurrencyConformance
import ConcurrencyReference
import ConcurrencySpec
import Foundation
import Testing

/// What the reference pool promises beyond the clauses.
@Suite("Reference ThreadPoolExecutor")
struct ThreadPoolExecutorTests {
    /// The names of this process's threads, from the kernel's own list.
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test func invalidWorkerCountsAreTypedErrors() {
        for count in [0, -1, Int.min] {
            #expect(throws: ConcurrencyError.self) { try ThreadPoolExecutor(maxWorkers: count) }
        }
        let error = #expect(throws: ConcurrencyError.self) { try ThreadPoolExecutor(maxWorkers: 0) }
        #expect(error?.kind == .invalidArgument)
        #expect("\(String(describing: error))".contains("maxWorkers must be greater than 0"))
        #expect(ThreadPoolExecutor.defaultMaxWorkers == min(32, ProcessInfo.processInfo.activeProcessorCount + 4))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/task")))
    func thousandCyclesLeaveNoThreads() throws {
        // Other tests run threads in this process at the same time, so the
        // pools' threads are told apart by name rather than by a count.
        let prefix = "kcycle"
        for cycle in 0..<1_000 {
            let pool = try ThreadPoolExecutor(maxWorkers: 2, threadNamePrefix: prefix)
            let first = try pool.submit { cycle }
            let second = try pool.submit { cycle * 2 }
            pool.shutdown(wait: true)
            #expect(try first.result(timeout: .zero) == cycle)
            #expect(try second.result(timeout: .zero) == cycle * 2)
        }
        // A joined thread leaves the kernel's list a moment after pthread_join.
        let deadline = ContinuousClock.now + .seconds(2)
        var leftover = Self.threadNames().filter { $0.hasPrefix(prefix) }
        while !leftover.isEmpty && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.005)
            leftover = Self.threadNames().filter { $0.hasPrefix(prefix) }
        }
        #expect(leftover.isEmpty, "\(leftover.count) pool threads outlived their joined shutdown")
    }

    @Test func aJobThatThrowsKeepsItsWorker() throws {
        struct Boom: Error {}
        let pool = try ThreadPoolExecutor(maxWorkers: 1)
        defer { pool.shutdown() }
        let failing = try (0..<10).map { _ in try pool.submit { () throws -> Int in throw Boom() } }
        for future in failing { #expect(try future.exception(timeout: .seconds(5)) is Boom) }
        #expect(try pool.submit { 7 }.result(timeout: .seconds(5)) == 7)
    }

    @Test func shutdownFromItsOwnWorkerDoesNotDeadlock() throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 2)
        let future = try pool.submit { () -> Bool in
            pool.shutdown(wait: true)
            return true
        }
        #expect(try future.result(timeout: .seconds(5)))
        pool.shutdown(wait: true)
    }

    @Test func droppedMapResultsStillRun() throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 2)
        let count = Locked(0)
        _ = try pool.map(0..<20) { _ in count.withLock { $0 += 1 } }
        pool.shutdown(wait: true)
        #expect(count.value == 20)
    }

    // `wait` examines each completion once; before, it re-partitioned every
    // future per completion, so this took O(n²) steps.
    @Test func waitSeesEveryCompletionOfManyPendingFutures() throws {
        let futures = (0..<20_000).map { _ in Future<Int>() }
        Thread {
            for (index, future) in futures.enumerated() { try? future.setResult(index) }
        }.start()
        let (done, notDone) = ConcurrencySpec.wait(futures.map { $0 as any ConcurrentFuture<Int> }, timeout: .seconds(60))
        #expect(done.count == futures.count)
        #expect(notDone.isEmpty)
        #expect(try done.last?.result() == futures.count - 1)
    }

    @Test func asCompletedAsyncYieldsInCompletionOrder() async throws {
        let futures = (0..<3).map { _ in Future<Int>() }
        Thread {
            for index in [2, 0, 1] {
                Thread.sleep(forTimeInterval: 0.02)
                try? futures[index].setResult(index)
            }
        }.start()
        var order: [Int] = []
        for try await future in asCompleted(futures.map { $0 as any ConcurrentFuture<Int> }) {
            order.append(try future.result(timeout: .zero))
        }
        #expect(order == [2, 0, 1])
    }

    @Test func asCompletedAsyncTimesOut() async {
        let futures: [any ConcurrentFuture<Int>] = [Future<Int>(), Future<Int>()]
        try? futures[0].setResult(1)
        let sequence = asCompleted(futures, timeout: .milliseconds(50))
        var yielded = 0
        do {
            for try await _ in sequence { yielded += 1 }
            Issue.record("the async sequence ended without a timeout")
        } catch {
            #expect(error as? ConcurrencyError == .timeout(unfinished: 1))
        }
        #expect(yielded == 1)
    }
}

@Suite("Reference ThreadLocal")
struct ThreadLocalTests {
    @Test func eachThreadHasItsOwnLazilyComputedValue() {
        let computed = Locked(0)
        let local = ThreadLocal { computed.withLock { $0 += 1; return $0 } }
        #expect(!local.hasValue)
        let mine = local.value
        #expect(local.hasValue)
        #expect(local.value == mine, "the value changed between two reads on one thread")
        let other = Locked<Int?>(nil)
        let done = Latch(count: 1)
        Thread {
            other.withLock { $0 = local.value }
            done.arrive()
        }.start()
        done.wait(timeout: .seconds(5))
        #expect(other.value != nil && other.value != mine)
        #expect(computed.value == 2)
        local.value = 42
        #expect(local.value == 42)
        local.reset()
        #expect(!local.hasValue)
        #expect(local.value == 3)
    }

    @Test func workersKeepTheirValuesAcrossJobs() throws {
        let ids = ThreadLocal { UUID() }
        let pool = try ThreadPoolExecutor(maxWorkers: 1)
        defer { pool.shutdown() }
        let first = try pool.submit { ids.value }.result(timeout: .seconds(5))
        let second = try pool.submit { ids.value }.result(timeout: .seconds(5))
        #expect(first == second)
        #expect(ids.value != first, "the test's thread saw a worker's value")
    }
}

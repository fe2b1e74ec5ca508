import ConcurrencyConformance
import ConcurrencyPrimitives
import ConcurrencyReference
import ConcurrencySpec
import Foundation
import Testing

/// A log that callbacks and task bodies append to.
private final class Log: Sendable {
    private let entries = ConditionLock<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

@Suite("SerialEventLoop")
struct SerialEventLoopTests {
    @Test func callbacksRunFirstInFirstOutAndNestedOnesWaitAnIteration() async throws {
        let log = try await offThePool { () -> [String] in
            let loop = SerialEventLoop()
            defer { try? loop.close() }
            let log = Log()
            for index in 1...3 {
                try loop.callSoon {
                    log.add("s\(index)")
                    if index == 1 { try loop.callSoon { log.add("nested") } }
                }
            }
            try loop.callSoon { loop.stop() }
            try loop.runForever()
            return log.all
        }
        #expect(log == ["s1", "s2", "s3"])
    }

    @Test func virtualTimeJumpsToTheNextTimer() async throws {
        let (elapsed, loopElapsed) = try await offThePool { () -> (Duration, Duration) in
            let loop = SerialEventLoop(clock: .virtual)
            let start = ContinuousClock.now
            let loopElapsed = try loop.run {
                let begin = loop.time
                try await loop.sleep(.seconds(1))
                try await loop.sleep(.seconds(2))
                return loop.time - begin
            }
            return (ContinuousClock.now - start, loopElapsed)
        }
        #expect(loopElapsed == .seconds(3))
        #expect(elapsed < .seconds(1))
    }

    @Test func tasksStartWhenTheCreatorYieldsAndInterleaveAtSleepZero() async throws {
        let log = try await offThePool { () -> [String] in
            let loop = SerialEventLoop(clock: .virtual)
            let log = Log()
            try loop.run {
                let tickers = try ["A", "B"].map { label in
                    try loop.createTask(name: label) {
                        for step in 0..<3 {
                            log.add(label + String(step))
                            try await loop.sleep(.zero)
                        }
                    }
                }
                log.add("created")
                _ = try await loop.gather(tickers).value
            }
            return log.all
        }
        #expect(log == ["created", "A0", "B0", "A1", "B1", "A2", "B2"])
    }

    @Test func cancellationReachesTheBodyAtItsNextSuspension() async throws {
        let outcome = try await offThePool { () -> [String] in
            let loop = SerialEventLoop(clock: .virtual)
            let log = Log()
            try loop.run {
                let sleeper = try loop.createTask {
                    do {
                        try await loop.sleep(.seconds(10))
                        log.add("woke")
                    } catch {
                        log.add("caught \(error.isCancellation)")
                        throw error
                    }
                }
                try await loop.sleep(.zero)
                log.add("cancel \(sleeper.cancel())")
                log.add("cancelled right away \(sleeper.isCancelled)")
                do {
                    try await sleeper.value
                } catch {
                    log.add("awaited \(error.isCancellation)")
                }
                log.add("cancelled \(sleeper.isCancelled) again \(sleeper.cancel())")
            }
            return log.all
        }
        #expect(outcome == ["cancel true", "cancelled right away false", "caught true", "awaited true", "cancelled true again false"])
    }

    @Test func waitForCancelsTheInnerTaskOnTimeout() async throws {
        let (log, elapsed) = try await offThePool { () -> ([String], Duration) in
            let loop = SerialEventLoop(clock: .virtual)
            let log = Log()
            let elapsed = try loop.run {
                let begin = loop.time
                let inner = try loop.createTask {
                    do {
                        try await loop.sleep(.seconds(10))
                    } catch {
                        try? await loop.sleep(.seconds(1))
                        log.add("inner handled cancellation")
                        throw error
                    }
                }
                do {
                    try await loop.waitFor(inner, timeout: .seconds(2))
                } catch {
                    log.add("waitFor threw \(error)")
                }
                log.add("inner cancelled \(inner.isCancelled)")
                return loop.time - begin
            }
            return (log.all, elapsed)
        }
        #expect(log == ["inner handled cancellation", "waitFor threw \(ConcurrencyError.timeout(unfinished: nil))", "inner cancelled true"])
        #expect(elapsed == .seconds(3))
    }

    @Test func closingWithPendingTasksReportsAndUnwindsThem() async throws {
        let (reports, unwound) = try await offThePool { () -> ([String], Bool) in
            let loop = SerialEventLoop()
            let log = Log()
            let unwound = ConditionLock(false)
            loop.setExceptionHandler { log.add($0.message) }
            let stuck = try loop.createTask(name: "stuck") {
                defer { unwound.withLock { $0 = true } }
                _ = try await loop.createFuture(of: Int.self).value
            }
            _ = stuck
            try loop.callLater(.milliseconds(20)) { loop.stop() }
            try loop.runForever()
            try loop.close()
            // The unwinding runs on the global executor, which other suites
            // share: 100 kit units (5 s, stretched by CONFORMANCE_TIME_SCALE
            // like every other bound on a slow or sanitized run).
            let patience = Timing.current.units(100).components
            let deadline = Date().addingTimeInterval(Double(patience.seconds) + Double(patience.attoseconds) / 1e18)
            while !unwound.withLock({ $0 }), Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
            return (log.all, unwound.withLock { $0 })
        }
        #expect(reports == ["Loop closed with 1 pending task(s), now cancelled: stuck"])
        #expect(unwound)
    }

    @Test func runInExecutorOverlapsBlockingWork() async throws {
        let elapsed = try await offThePool { () -> Duration in
            let loop = SerialEventLoop()
            let start = ContinuousClock.now
            try loop.run {
                let jobs = try (0..<2).map { _ in try loop.runInExecutor(nil) { Thread.sleep(forTimeInterval: 0.2) } }
                _ = try await loop.gather(jobs).value
            }
            return ContinuousClock.now - start
        }
        #expect(elapsed >= .milliseconds(200))
        #expect(elapsed < .milliseconds(390))
    }

    @Test func badInputGetsTypedErrors() async throws {
        let errors = try await offThePool { () -> [ConcurrencyError.Kind] in
            let loop = SerialEventLoop()
            var kinds: [ConcurrencyError.Kind] = []
            func record(_ body: () throws -> Void) {
                do { try body() } catch let error as ConcurrencyError { kinds.append(error.kind) } catch {}
            }
            record { try loop.callLater(.seconds(-1)) {} }
            let future = loop.createFuture(of: Int.self)
            record { _ = try future.result() }
            try future.setResult(1)
            record { try future.setResult(2) }
            try loop.run {
                let inner = loop
                do { _ = try inner.runUntilComplete(inner.createFuture(of: Int.self)) } catch let error as ConcurrencyError { return error.kind } catch {}
                return .cancelled
            }.map { kinds.append($0) }
            record { try loop.callSoon {} }
            return kinds
        }
        #expect(errors == [.invalidArgument, .invalidState, .invalidState, .loopRunning, .loopClosed])
    }
}

/// An actor that lives on a loop, through the loop's actor executor.
private actor LoopCounter {
    let loop: SerialEventLoop
    var count = 0

    init(loop: SerialEventLoop) { self.loop = loop }

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.actorExecutor.asUnownedSerialExecutor()
    }

    func increment() -> Int {
        count += 1
        return count
    }
}

extension SerialEventLoopTests {
    @Test func actorsCanLiveOnTheLoopThread() async throws {
        let (counts, sameThread) = try await offThePool { () -> ([Int], Bool) in
            let loop = SerialEventLoop()
            let counter = LoopCounter(loop: loop)
            let loopThread = pthread_self()
            return try loop.run {
                var counts: [Int] = []
                for _ in 0..<3 { counts.append(await counter.increment()) }
                return (counts, pthread_equal(pthread_self(), loopThread) != 0)
            }
        }
        #expect(counts == [1, 2, 3])
        #expect(sameThread)
    }
}

extension ConcurrencyError.Kind {
    fileprivate func map(_ body: (Self) -> Void) { body(self) }
}

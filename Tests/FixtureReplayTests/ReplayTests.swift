import ConcurrencyConformance
import ConcurrencySpec
import ConformanceGallery
import Foundation
import Testing

/// A Swift twin of one CPython scenario.
struct Twin: Sendable {
    enum Clock: Sendable {
        /// The twin runs on a virtual-time loop: times must match CPython's
        /// buckets exactly, and the twin takes no real time.
        case virtual
        /// The twin measures real time: it runs alone (the kit's timing
        /// gate), and its times are held to CPython's buckets with a hard
        /// lower bound and one bucket of slack above.
        case real
    }

    var clock: Clock
    var run: @Sendable (Recorder, ReplaySubject) throws -> Void
}

enum Replay {
    /// 1 unit of real time: 100 ms, as in the CPython runs, stretched by
    /// CONFORMANCE_TIME_SCALE like every timed check of the kit.
    static var realUnit: Duration { Timing.current.unit * 2 }

    static let twins: [String: Twin] = [
        "s01_my_sleep_coroutine_run": Twin(clock: .virtual, run: AsyncioTwins.s01),
        "s02_my_sleep_coroutine_legacy": Twin(clock: .virtual, run: AsyncioTwins.s02),
        "s03_async_keyword_typo": Twin(clock: .virtual, run: AsyncioTwins.s03),
        "s04_say_after_task": Twin(clock: .virtual, run: AsyncioTwins.s04),
        "s05_say_after_sequential": Twin(clock: .virtual, run: AsyncioTwins.s05),
        "s06_say_after_two_tasks": Twin(clock: .virtual, run: AsyncioTwins.s06),
        "s07_create_task_is_queued": Twin(clock: .real, run: AsyncioTwins.s07),
        "s08_gather": Twin(clock: .virtual, run: AsyncioTwins.s08),
        "s09_blocking_vs_run_in_executor": Twin(clock: .real, run: AsyncioTwins.s09),
        "s10_executor_block_and_types": Twin(clock: .real, run: FuturesTwins.s10),
        "s11_submit_return_after": Twin(clock: .real, run: FuturesTwins.s11),
        "s12_process_pool_map_primes": Twin(clock: .real, run: FuturesTwins.s12),
        "s13_as_completed": Twin(clock: .real, run: FuturesTwins.s13),
        "s14_wait_first_completed": Twin(clock: .real, run: FuturesTwins.s14),
        "s15_with_joins": Twin(clock: .real, run: FuturesTwins.s15),
        "s16_thread_local": Twin(clock: .real, run: FuturesTwins.s16),
        "s17_gil_claims": Twin(clock: .real, run: FuturesTwins.s17),
        "s18_pickling": Twin(clock: .real, run: FuturesTwins.s18),
        "s19_default_workers": Twin(clock: .real, run: FuturesTwins.s19),
        "x03_map_order_and_errors": Twin(clock: .real, run: FuturesTwins.x03),
        "x08_thread_local_one_at_a_time": Twin(clock: .real, run: FuturesTwins.x08),
        "m01_future_callbacks": Twin(clock: .real, run: FuturesTwins.m01),
        "m02_future_cancel_rules": Twin(clock: .real, run: FuturesTwins.m02),
        "m03_cancel_queued_call": Twin(clock: .real, run: FuturesTwins.m03),
        "m04_shutdown_cancel_futures": Twin(clock: .real, run: FuturesTwins.m04),
        "m05_shutdown_no_wait": Twin(clock: .real, run: FuturesTwins.m05),
        "m06_wait_modes": Twin(clock: .real, run: FuturesTwins.m06),
        "m07_as_completed_timeout": Twin(clock: .real, run: FuturesTwins.m07),
        "m08_map_timeout": Twin(clock: .real, run: FuturesTwins.m08),
        "l01_call_soon_fifo": Twin(clock: .virtual, run: AsyncioTwins.l01),
        "l02_timer_order": Twin(clock: .virtual, run: AsyncioTwins.l02),
        "l03_timer_ties": Twin(clock: .virtual, run: AsyncioTwins.l03),
        "l04_sleep_zero_interleaves": Twin(clock: .virtual, run: AsyncioTwins.l04),
        "l05_task_cancel": Twin(clock: .virtual, run: AsyncioTwins.l05),
        "l06_loop_future_callbacks": Twin(clock: .virtual, run: AsyncioTwins.l06),
        "l07_gather_errors": Twin(clock: .virtual, run: AsyncioTwins.l07),
        "l08_wait_and_wait_for": Twin(clock: .virtual, run: AsyncioTwins.l08),
    ]

    /// The reference implementation, through the kit's factories only.
    static let reference = ReplaySubject(
        name: "reference",
        futures: Gallery.reference.futures!,
        executors: Gallery.reference.executors!,
        loops: Gallery.reference.loops!,
        processPools: Gallery.referenceProcesses.processPools
    )

    /// Runs `twin` against `subject` and returns its trace, or throws when it
    /// fails or does not finish within its watchdog budget.
    static func replay(_ twin: Twin, against subject: ReplaySubject) async throws -> [TraceEvent] {
        let unit = twin.clock == .virtual ? Duration.seconds(1) : realUnit
        let body: @Sendable () throws -> [TraceEvent] = {
            let recorder = Recorder(unit: unit)
            try twin.run(recorder, subject)
            return recorder.events
        }
        // Budget: 300 real units (30 s at scale 1); the longest twin takes about 12 units.
        if twin.clock == .real {
            return try await Conformance.withExclusiveTiming { await onOwnThread(budget: realUnit * 300, body) }.get()
        }
        return try await onOwnThread(budget: realUnit * 300, body).get()
    }

    /// Runs `body` on a thread of its own (blocking twins must not hold one of
    /// the cooperative pool's two threads); gives up after `budget`.
    static func onOwnThread<Value: Sendable>(
        budget: Duration,
        _ body: @escaping @Sendable () throws -> Value
    ) async -> Result<Value, any Error> {
        let pending = Locked<CheckedContinuation<Result<Value, any Error>, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            let finish: @Sendable (Result<Value, any Error>) -> Void = { outcome in
                pending.withLock { $0.take() }?.resume(returning: outcome)
            }
            let thread = Thread { finish(Result { try body() }) }
            thread.name = "fixture twin"
            thread.stackSize = 1 << 22
            thread.start()
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(budget / .nanoseconds(1)))) {
                finish(.failure(TraceError("the twin did not finish within \(budget); abandoned (deadlock?)")))
            }
        }
    }
}

@Suite("Fixtures: CPython golden traces replayed against the reference")
struct FixtureReplayTests {
    @Test(arguments: GoldenTrace.names)
    func replay(_ name: String) async throws {
        let golden = try GoldenTrace.load(name)
        let twin = try #require(Replay.twins[name], "no Swift twin for the trace \(name)")
        let events = try await Replay.replay(twin, against: Replay.reference)
        if ProcessInfo.processInfo.environment["FIXTURE_REPLAY_DUMP"] != nil {
            print("\(name) replayed:\n" + events.map { "  " + $0.rendered }.joined(separator: "\n"))
        }
        if let report = compare(golden: golden, replayed: events, rule: twin.clock == .virtual ? .exact : .bucketWithSlack) {
            Issue.record(Comment(rawValue: report))
        }
    }

    @Test func everyTwinHasATraceAndTheCatalogueIsComplete() throws {
        let names = Set(GoldenTrace.names)
        #expect(Set(Replay.twins.keys).subtracting(names).sorted() == [], "twins without a committed trace")
        let seedExamples = names.filter { $0.hasPrefix("s") || $0.hasPrefix("x") }
        #expect(seedExamples.count >= 19, "one scenario per seed example: \(seedExamples.count)")
        let semantic = names.filter { $0.hasPrefix("m") || $0.hasPrefix("l") }
        #expect(semantic.count >= 10)
        for name in names {
            let trace = try GoldenTrace.load(name)
            #expect(trace.header["python"]?.string?.hasPrefix("3.") == true, "\(name): no Python version in the header")
            #expect(!trace.events.isEmpty || !trace.pythonOnly.isEmpty, "\(name): no events")
        }
    }

    /// The comparison itself: a mismatch is found and shown side by side.
    @Test func aMismatchIsReportedSideBySide() throws {
        let golden = GoldenTrace(name: "demo", header: ["order": "exact"], events: [
            TraceEvent(event: "print", actor: "main", payload: "hello", time: 1, set: nil),
            TraceEvent(event: "print", actor: "main", payload: "world", time: 2, set: nil),
        ], pythonOnly: [])
        let swapped = [
            TraceEvent(event: "print", actor: "main", payload: "world", time: 2, set: nil),
            TraceEvent(event: "print", actor: "main", payload: "hello", time: 1, set: nil),
        ]
        let report = try #require(compare(golden: golden, replayed: swapped, rule: .exact))
        #expect(report.contains("CPython") && report.contains("replay") && report.contains("✗"))
        #expect(compare(golden: golden, replayed: golden.events, rule: .exact) == nil)
        let late = [golden.events[0], TraceEvent(event: "print", actor: "main", payload: "world", time: 3.6, set: nil)]
        #expect(compare(golden: golden, replayed: late, rule: .bucketWithSlack) != nil, "one bucket of slack, not two")
        let early = [golden.events[0], TraceEvent(event: "print", actor: "main", payload: "world", time: 1.4, set: nil)]
        #expect(compare(golden: golden, replayed: early, rule: .bucketWithSlack) != nil, "the lower bound is hard")
        var multiset = golden
        multiset.header = ["order": "multiset"]
        #expect(compare(golden: multiset, replayed: swapped, rule: .exact) == nil, "a multiset ignores order")
    }
}

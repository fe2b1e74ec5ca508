import ConcurrencySpec
import Foundation

/// The TLS group: thread-local data in pool workers (Python's
/// `threading.local()`), observed through a thread-local slot the kit owns.
enum ThreadLocalClauses {
    static let all: [ClauseDefinition] = [tls002, tls003, tls004, tls005]

    static let tls002 = ClauseDefinition(
        id: "TLS-002", contract: .executor, level: .must,
        statement: "Thread-local values persist across the jobs a worker runs, so lazy per-thread setup happens once per worker, not once per job.",
        source: "SEED §Local data",
        method: "One worker: the first job stores a value in a thread-local slot, the second reads it.",
        hint: "Look for a pool that runs each job on a fresh thread.",
        requires: [.executor, .threadPool, .ownsWorkerThreads],
        check: .blocking { ctx in
            let slot = KitThreadLocal()
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            _ = ctx.run(on: pool) { slot.value = 42 }
            let seen: Int?? = ctx.run(on: pool) { slot.value }
            ctx.expect(seen == .some(42), "the second job saw \(String(describing: seen)) in the slot the first job set to 42")
        }
    )

    static let tls003 = ClauseDefinition(
        id: "TLS-003", contract: .executor, level: .must,
        statement: "In the seed's program (2 workers, six sleeping jobs via map) exactly two worker identities appear; in general never more than maxWorkers.",
        source: "SEED §Local data ('It will print only two unique thread IDs')",
        method: "Each job gives its thread an ID on first use (the seed's hasattr check) and sleeps 1 unit; map six of them on 2 workers; then four one-at-a-time submits on a fresh 2-worker pool.",
        hint: "Look at thread creation and reuse: one identity per worker thread.",
        requires: [.executor, .threadPool, .ownsWorkerThreads],
        check: .blocking { ctx in
            let slot = KitThreadLocal()
            let next = Locked(0)
            let pause = ctx.units(1)
            let job: @Sendable (Int) -> Int = { _ in
                if slot.value == nil { slot.value = next.withLock { $0 += 1; return $0 } }
                Thread.sleep(forTimeInterval: pause.seconds)
                return slot.value ?? -1
            }
            let pool = try ctx.makeExecutor(maxWorkers: 2)
            let ids = ctx.expectNoThrow("map over six jobs") { try pool.map(0..<6, job).collect() } ?? []
            ctx.expect(Set(ids).count == 2, "six jobs on 2 workers saw \(Set(ids).count) worker identities, not 2")
            let fresh = try ctx.makeExecutor(maxWorkers: 2)
            var oneAtATime = Set<Int>()
            for index in 0..<4 {
                if let id = ctx.run(on: fresh, { job(index) }) { oneAtATime.insert(id) }
            }
            ctx.expect(oneAtATime.count <= 2, "one-at-a-time jobs on 2 workers saw \(oneAtATime.count) identities")
        }
    )

    static let tls004 = ClauseDefinition(
        id: "TLS-004", contract: .executor, level: .must,
        statement: "Workers running at the same moment each see their own thread-local value.",
        source: "THR threading.local",
        method: "Three workers: three jobs each store their index, meet at a latch (which only opens if all three run at once; it waits up to 60 units), then read the slot back.",
        hint: "Look for jobs that share a thread, or a pool that does not run maxWorkers jobs at once.",
        requires: [.executor, .threadPool], budgetUnits: 150,
        check: .blocking { ctx in
            let slot = KitThreadLocal()
            let meeting = Latch(count: 3)
            let pool = try ctx.makeExecutor(maxWorkers: 3)
            let futures = try (0..<3).map { index in
                try pool.submit { () -> (Bool, Int?) in
                    slot.value = index
                    meeting.arrive()
                    // Generous: an engine that lends threads from a shared
                    // pool may take a while to lend the third one.
                    let met = meeting.wait(timeout: ctx.patience * 3)
                    return (met, slot.value)
                }
            }
            for (index, future) in futures.enumerated() {
                let (met, value) = (try? future.result(timeout: ctx.patience * 4)) ?? (false, nil)
                ctx.expect(met, "job \(index) never met the others: the three jobs did not run at once")
                ctx.expect(value == index, "job \(index) read \(String(describing: value)) from its slot")
            }
        }
    )

    static let tls005 = ClauseDefinition(
        id: "TLS-005", contract: .executor, level: .must,
        statement: "A worker never sees a thread-local value set by the thread that submitted the job: jobs do not run on the submitting thread.",
        source: "THR threading.local",
        method: "The check's thread stores a value in a thread-local slot; a job on a new executor reads the slot.",
        hint: "Look for a submit that runs the job on the calling thread.",
        requires: [.executor, .threadPool],
        check: .blocking { ctx in
            let slot = KitThreadLocal()
            slot.value = 99
            defer { slot.value = nil }
            let pool = try ctx.makeExecutor(maxWorkers: 1)
            let seen: Int?? = ctx.run(on: pool) { slot.value }
            ctx.expect(seen == .some(nil), "a worker saw \(String(describing: seen)) in a slot only the submitting thread had set")
        }
    )
}

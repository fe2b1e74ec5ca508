import ConcurrencyPrimitives
import ConcurrencySpec
import ConcurrencyWorker
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Defects a process pool can be built with, for the mutant gallery only:
/// each reproduces a mistake a process pool could make in the parts of it
/// that no wrapper can reach. The reference never sets one.
package struct ProcessPoolFaults: Sendable, Hashable {
    /// A worker that dies is forgotten: its calls never complete.
    package var ignoresWorkerDeath = false
    /// Exited workers are never waited for, so they stay zombies.
    package var skipsReaping = false
    /// Frame lengths from workers are believed, however large.
    package var ignoresFrameLimit = false

    package init() {}
}

/// The state and threads of a ``ProcessPoolExecutor``, apart from the object
/// users hold, so that dropping that object shuts the pool down while the
/// reader threads finish the queued calls.
///
/// One reader thread per worker reads its frames, completes futures and
/// hands the worker its next batch; submitters only queue and, when a worker
/// is idle, send. Every send happens under the lock, so frames to one worker
/// never interleave and a socket is never closed while being written.
@usableFromInline
final class ProcessPoolCore: Sendable {
    /// The initializer job, encoded once.
    struct Initialization: Sendable {
        let name: String
        let json: [UInt8]
    }

    private struct Worker {
        let process: WorkerProcess
        var outstanding: [UInt64: any PoolCall] = [:]
        /// Calls this worker may still be given (`maxTasksPerChild`);
        /// `nil` without a limit.
        var capacity: Int?
        /// The pool closed its sending side: the worker exits once it has
        /// answered what it holds.
        var closing = false

        var isIdle: Bool { !closing && outstanding.isEmpty && capacity != 0 }
    }

    private struct State {
        /// Calls and chunks of calls, in submission order.
        var queue = FIFOQueue<any PoolCall>()
        var queuedCalls = 0
        var workers: [pid_t: Worker] = [:]
        /// Reader threads alive, counted down as each one's very last act.
        var liveReaders = 0
        /// Readers that ended after a joining shutdown began, for it to join.
        var endedReaders: [pthread_t] = []
        /// A reader thread that called the joining shutdown from a done
        /// callback: it waits for the others and cannot join itself.
        var joiningReader: pthread_t?
        var nextID: UInt64 = 0
        var shutDown = false
        var joinClaimed = false
        var broken: String?

        var hasQueued: Bool { !queue.isEmpty }

        /// Takes the first queued unit. The queue keeps no reference to it
        /// (nor to its encoded job) once taken.
        mutating func pop() -> any PoolCall {
            let chunk = queue.popFirst()!
            queuedCalls -= chunk.count
            return chunk
        }
    }

    /// The most calls in one batch made of queued submits. Large enough to
    /// amortize a round trip (~40 µs here) over cheap calls, small enough
    /// that another idle worker still finds work in the queue.
    private static let batchLimit = 256

    private let maxWorkers: Int
    private let program: WorkerProgram
    private let initializer: Initialization?
    private let maxTasksPerChild: Int?
    private let faults: ProcessPoolFaults
    private let lock = ConditionLock(State())

    init(
        maxWorkers: Int,
        program: WorkerProgram,
        initializer: Initialization?,
        maxTasksPerChild: Int?,
        faults: ProcessPoolFaults
    ) {
        self.maxWorkers = maxWorkers
        self.program = program
        self.initializer = initializer
        self.maxTasksPerChild = maxTasksPerChild
        self.faults = faults
    }

    // MARK: Calls

    static func encodeInitializer(_ job: some PortableJob) throws -> Initialization {
        do {
            return Initialization(name: type(of: job).jobName, json: try BinaryEncoder().encode(job))
        } catch {
            throw ConcurrencyError.unserializable(
                type: String(reflecting: type(of: job)),
                reason: "the initializer could not be encoded: \(error)"
            )
        }
    }

    // MARK: Submitting

    func checkAccepting() throws {
        try lock.withLock { state in
            if let reason = state.broken { throw ConcurrencyError.brokenExecutor(reason: reason) }
            if state.shutDown { throw ConcurrencyError.executorShutDown }
        }
    }

    func enqueue(_ calls: [any PoolCall]) throws {
        let failed: [any PoolCall] = try lock.withLock { state in
            if let reason = state.broken { throw ConcurrencyError.brokenExecutor(reason: reason) }
            if state.shutDown { throw ConcurrencyError.executorShutDown }
            for call in calls {
                state.queue.append(call)
                state.queuedCalls += call.count
            }
            return dispatch(&state)
        }
        fail(failed)
    }

    var workerProcessIDs: [Int32] {
        lock.withLock { $0.workers.keys.sorted() }
    }

    // MARK: Dispatching (under the lock)

    /// Hands queued calls to idle workers, starting workers up to the limit,
    /// and closes workers that have nothing left to do after shutdown.
    /// - Returns: Calls to fail because the pool broke meanwhile.
    private func dispatch(_ state: inout State) -> [any PoolCall] {
        guard state.broken == nil else { return [] }
        while state.hasQueued {
            let pid: pid_t
            if let idle = state.workers.first(where: { $0.value.isIdle })?.key {
                pid = idle
            } else if state.workers.values.filter({ !$0.closing }).count < maxWorkers {
                // Start a worker only for a call that is still wanted.
                purgeCancelled(&state)
                guard state.hasQueued else { break }
                do {
                    pid = try startWorker(&state)
                } catch {
                    return breakPool(&state, reason: "\(error)")
                }
            } else {
                break
            }
            let batch = takeBatch(&state, for: pid)
            guard !batch.isEmpty else { continue }
            var frame = FrameWriter(.runBatch, capacity: batch.reduce(8) { $0 + $1.payload.json.count + $1.payload.name.utf8.count + 16 })
            frame.append(UInt32(batch.count))
            for entry in batch {
                frame.append(entry.id)
                frame.append(string: entry.payload.name)
                frame.append(bytes: entry.payload.json)
            }
            if let capacity = state.workers[pid]!.capacity {
                state.workers[pid]!.capacity = max(0, capacity - batch.reduce(0) { $0 + $1.call.count })
            }
            for entry in batch { state.workers[pid]!.outstanding[entry.id] = entry.call }
            do {
                try sendAll(state.workers[pid]!.process.descriptor, frame.finish())
            } catch {
                // The worker is gone; its reader sees the end of its stream
                // and breaks the pool with the exit status.
                state.workers[pid]!.closing = true
            }
        }
        retireIdleWorkers(&state)
        return []
    }

    /// Takes whole chunks for one worker, dropping cancelled calls, up to the
    /// batch limit (a larger chunk still travels whole) and the worker's
    /// remaining `maxTasksPerChild`.
    private func takeBatch(
        _ state: inout State,
        for pid: pid_t
    ) -> [(id: UInt64, call: any PoolCall, payload: (name: String, json: [UInt8]))] {
        var limit = max(1, min(Self.batchLimit, state.queuedCalls / maxWorkers))
        if let capacity = state.workers[pid]!.capacity {
            limit = min(limit, capacity)
        }
        var batch: [(id: UInt64, call: any PoolCall, payload: (name: String, json: [UInt8]))] = []
        var calls = 0
        // At least one entry, so every pass makes progress; a chunk larger
        // than the limit still travels whole.
        while state.hasQueued, batch.isEmpty || calls + state.queue.first!.count <= limit {
            let call = state.pop()
            guard let payload = call.claim() else { continue }
            state.nextID += 1
            calls += call.count
            batch.append((state.nextID, call, payload))
        }
        return batch
    }

    private func purgeCancelled(_ state: inout State) {
        while state.hasQueued {
            // Look without claiming: claim() would mark a live call running.
            guard state.queue.first!.isCancelled else { break }
            _ = state.pop().claim()
        }
    }

    /// Starts a worker; its reader thread starts with it.
    private func startWorker(_ state: inout State) throws -> pid_t {
        let process = try WorkerProcess.spawn(program)
        state.workers[process.pid] = Worker(process: process, capacity: maxTasksPerChild)
        state.liveReaders += 1
        if let initializer {
            var frame = FrameWriter(.initialize, capacity: initializer.json.count + 32)
            frame.append(string: initializer.name)
            frame.append(bytes: initializer.json)
            try? sendAll(process.descriptor, frame.finish())
        }
        _ = WorkerThread.start(name: "ck-pool-\(process.pid)") { [self] in
            read(from: process)
        }
        return process.pid
    }

    /// After shutdown, or once a worker has served `maxTasksPerChild` calls,
    /// close the sending side of every idle worker with nothing queued for
    /// it: the worker reads the end of its stream and exits.
    private func retireIdleWorkers(_ state: inout State) {
        for (pid, worker) in state.workers where !worker.closing && worker.outstanding.isEmpty {
            if worker.capacity == 0 || (state.shutDown && !state.hasQueued) {
                state.workers[pid]!.closing = true
                worker.process.closeSending()
            }
        }
    }

    /// Marks the pool broken, kills every worker, and takes every call that
    /// can no longer finish.
    private func breakPool(_ state: inout State, reason: String) -> [any PoolCall] {
        guard state.broken == nil else { return [] }
        state.broken = reason
        var calls: [any PoolCall] = []
        while state.hasQueued { calls.append(state.pop()) }
        for (pid, worker) in state.workers {
            calls += worker.outstanding.values
            state.workers[pid]!.outstanding = [:]
            state.workers[pid]!.closing = true
            worker.process.kill()
        }
        lock.broadcast()
        return calls
    }

    private func fail(_ calls: [any PoolCall]) {
        guard !calls.isEmpty else { return }
        let reason = lock.withLock { $0.broken } ?? "the pool is broken"
        for call in calls { call.fail(.brokenExecutor(reason: reason)) }
    }

    // MARK: Reading (one thread per worker)

    /// The pool whose reader the calling thread is, if any.
    private static let readerOf = ThreadLocal<ObjectIdentifier?> { nil }

    private func read(from process: WorkerProcess) {
        Self.readerOf.value = ObjectIdentifier(self)
        let stream = FrameStream(
            descriptor: process.descriptor,
            maximumLength: faults.ignoresFrameLimit ? Int(UInt32.max) : Wire.maximumFrameLength
        )
        let decoder = BinaryDecoder()
        var failure: String?
        reading: while true {
            let payload: [UInt8]
            do {
                guard let next = try stream.next() else { break reading }
                payload = next
            } catch {
                failure = "sent a frame the pool cannot read (\(error))"
                break reading
            }
            do {
                var reader = try FrameReader(payload: payload)
                switch Wire.Tag(rawValue: reader.tagByte) {
                case .results:
                    try receiveResults(&reader, from: process.pid, decoder: decoder)
                case .initialized:
                    let outcome = try reader.readOutcome()
                    if case .success = outcome { continue reading }
                    failure = "the initializer failed in worker process \(process.pid): \(Self.describe(outcome))"
                    break reading
                default:
                    throw WireError.garbled("unexpected tag \(reader.tagByte) from a worker")
                }
            } catch {
                failure = "sent a frame the pool cannot read (\(error))"
                break reading
            }
        }
        // Out of the table first, under the lock: from here on nothing else
        // signals this pid (a reaped pid may belong to another process) and
        // its calls are this thread's to settle.
        let (worker, expected) = lock.withLock { state in
            let worker = state.workers.removeValue(forKey: process.pid)
            let expected = failure == nil && (worker?.closing ?? true) && (worker?.outstanding.isEmpty ?? true)
            return (worker, expected)
        }
        // A worker that broke the protocol, or ended while still needed, is
        // made sure to be gone before it is waited for.
        if !expected { process.kill() }
        let ending = faults.skipsReaping ? "exited (not waited for)" : process.reap()
        close(process.descriptor)
        let calls: [any PoolCall] = lock.withLock { state in
            if expected { return dispatch(&state) }
            if faults.ignoresWorkerDeath { return [] }
            let what = failure.map { "a worker process (pid \(process.pid)) \($0) and \(ending)" }
                ?? "a worker process (pid \(process.pid)) \(ending) while the pool still needed it"
            // Its own calls fail even when another worker broke the pool first.
            return Array(worker?.outstanding.values ?? [:].values) + breakPool(&state, reason: what)
        }
        fail(calls)
        // Last: after this the thread only returns. A joining shutdown joins
        // it; otherwise nobody will, so it lets its resources go itself. A
        // reader that called the joining shutdown itself (from a done
        // callback) is not joined by it either.
        lock.withLock { state in
            state.liveReaders -= 1
            if state.joinClaimed && state.joiningReader.map({ pthread_equal($0, pthread_self()) == 0 }) ?? true {
                state.endedReaders.append(pthread_self())
            } else {
                WorkerThread.detachCurrent()
            }
            lock.broadcast()
        }
    }

    private func receiveResults(_ reader: inout FrameReader, from pid: pid_t, decoder: BinaryDecoder) throws {
        let count = try reader.readUInt32("result count")
        var outcomes: [(UInt64, Wire.Outcome)] = []
        outcomes.reserveCapacity(Int(min(count, 4096)))
        for _ in 0..<count {
            outcomes.append((try reader.readUInt64("call id"), try reader.readOutcome()))
        }
        guard reader.isAtEnd else { throw WireError.garbled("bytes after the last result") }
        let (calls, failed): ([(any PoolCall, Wire.Outcome)], [any PoolCall]) = try lock.withLock { state in
            guard state.workers[pid] != nil else { return ([], []) }
            var calls: [(any PoolCall, Wire.Outcome)] = []
            for (id, outcome) in outcomes {
                guard let call = state.workers[pid]!.outstanding.removeValue(forKey: id) else {
                    if state.broken != nil { continue }
                    throw WireError.garbled("a result for call \(id), which the worker does not hold")
                }
                calls.append((call, outcome))
            }
            let failed = state.workers[pid]!.outstanding.isEmpty ? dispatch(&state) : []
            return (calls, failed)
        }
        for (call, outcome) in calls { call.deliver(outcome, decoder: decoder) }
        fail(failed)
    }

    private static func describe(_ outcome: Wire.Outcome) -> String {
        switch outcome {
        case .success: "succeeded"
        case .portableError(let name, _, let message): "\(name): \(message)"
        case .remoteError(let typeName, let message): "\(typeName): \(message)"
        case .unserializable(let type, let reason): "\(type): \(reason)"
        case .chunk: "answered with a chunk"
        }
    }

    // MARK: Shutting down

    /// Stops accepting calls; with `wait`, returns once every worker has
    /// exited and been reaped and every reader thread has been joined.
    ///
    /// Called from a done callback, which runs on a reader thread, it waits
    /// for every other worker: the calling reader's own worker is reaped
    /// once the callback returns (Python's `shutdown(wait=True)` in a
    /// callback would join the thread it runs on and deadlock instead).
    func shutdown(wait: Bool, cancelFutures: Bool) {
        let onReader = wait && Self.readerOf.value == ObjectIdentifier(self)
        let (cancelled, failed): ([any PoolCall], [any PoolCall]) = lock.withLock { state in
            state.shutDown = true
            var cancelled: [any PoolCall] = []
            if cancelFutures {
                while state.hasQueued { cancelled.append(state.pop()) }
            }
            if wait {
                state.joinClaimed = true
                if onReader { state.joiningReader = pthread_self() }
            }
            return (cancelled, dispatch(&state))
        }
        for call in cancelled { call.cancel() }
        fail(failed)
        guard wait else { return }
        let readers = lock.wait(until: { $0.liveReaders == (onReader ? 1 : 0) }, deadline: nil) { state, _ in
            let readers = state.endedReaders
            state.endedReaders = []
            return readers
        }
        for reader in readers { pthread_join(reader, nil) }
    }
}

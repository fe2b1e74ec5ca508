import ConcurrencyPrimitives
import ConcurrencySpec
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The reference thread-safe future: Python's `concurrent.futures.Future`.
///
/// Every method may be called from any thread. Readers that block
/// (``result(timeout:)``, ``exception(timeout:)``) spin for a few
/// microseconds, then park and are all woken by the completion; done
/// callbacks run on the thread that completes or cancels the future, in
/// registration order, before that call returns.
///
/// ```swift
/// let future = Future<Int>()
/// Thread { try? future.setResult(42) }.start()
/// print(try future.result())          // 42
/// ```
///
/// A future is one allocation and owns no lock. Its state is one atomic word
/// (see `FutureWord`), so creating, running, completing and reading a future
/// that nobody waits on takes a handful of atomic operations; only parking a
/// reader and storing a callback take a lock, borrowed from a shared stripe.
public final class Future<Value: Sendable>: ConcurrentFuture, @unchecked Sendable, CustomStringConvertible {
    // @unchecked Sendable is safe (and, for the same reasons, the stored
    // properties opt out of Swift's run-time exclusivity checks, which cost
    // a call per access on the hot path):
    // - `word` is atomic.
    // - `valueStorage`, `boxedValue` and `error` are written once, by the
    //   one thread whose compare-exchange set the `completing` flag, before
    //   the releasing add that publishes the finished phase; they are read
    //   only after an acquiring load has seen that phase, and never written
    //   again (deinit destroys the value, when nobody else can see it).
    // - `callbacks` is read and written only while holding this future's
    //   stripe lock.
    // - `poolJob` is written by `init`, before the future is shared, and
    //   afterwards read and cleared only by the one thread that took the
    //   future out of a thread pool's queue under that queue's lock.

    /// A done callback; it receives the future.
    public typealias DoneCallback = @Sendable (Future<Value>) throws -> Void

    /// Receives the errors that done callbacks throw.
    public typealias CallbackErrorHandler = @Sendable (_ error: any Error, _ future: Future<Value>) -> Void

    private let word = Atomic<Int>(FutureWord.pending)
    /// The value, when it fits: stored in the object itself, as raw bytes
    /// managed through `Value`'s own value witnesses. `Result<Value, _>` or
    /// `Value?` here would make every unspecialized access (the executor's
    /// type-erased job, the reader behind `any ConcurrentFuture`) look up
    /// that type's metadata, which cost more than the rest of a job.
    @exclusivity(unchecked) private var valueStorage: (UInt, UInt, UInt, UInt) = (0, 0, 0, 0)
    /// The value, when it does not fit in `valueStorage`.
    @exclusivity(unchecked) private var boxedValue: AnyObject?
    /// The error of a future finished with an error; `nil` when finished
    /// with a value.
    @exclusivity(unchecked) private var error: (any Error)?
    /// Type-erased to a non-generic function type: an empty array of the
    /// generic `DoneCallback` made every (unspecialized) `init` look up that
    /// array type's metadata.
    @exclusivity(unchecked) private var callbacks: [@Sendable (AnyObject) throws -> Void] = []
    /// `nil` for the default logger: a stored reference to a generic static
    /// method would cost every future a closure context.
    private let callbackErrorHandler: CallbackErrorHandler?
    /// The job that completes this future, when a ``ThreadPoolExecutor``
    /// uses the future as its queued work item; `nil` once taken.
    @exclusivity(unchecked) var poolJob: (@Sendable () throws -> Value)?

    /// How long a reader spins before it parks. A round trip through an idle
    /// worker takes a few microseconds; waking a parked thread on the other
    /// core costs 20–90 µs on the VMs this was measured on.
    private static var spinLimit: Duration { .microseconds(20) }

    /// Creates a pending future.
    ///
    /// - Parameter callbackErrorHandler: Called with each error a done
    ///   callback throws. The default writes a line to standard error, as
    ///   Python logs `exception calling callback for <Future …>`.
    public init(callbackErrorHandler: CallbackErrorHandler? = nil) {
        self.callbackErrorHandler = callbackErrorHandler
    }

    /// A future that carries the job that will complete it.
    @usableFromInline
    init(poolJob: @escaping @Sendable () throws -> Value) {
        self.callbackErrorHandler = nil
        self.poolJob = poolJob
    }

    deinit {
        if Self.storesInline && FutureWord(raw: word.load(ordering: .acquiring)).phase == FutureWord.finished
            && error == nil {
            withUnsafeMutableBytes(of: &valueStorage) {
                _ = $0.baseAddress!.assumingMemoryBound(to: Value.self).deinitialize(count: 1)
            }
        }
    }

    public var state: FutureState {
        FutureWord(raw: word.load(ordering: .acquiring)).state
    }

    public var isDone: Bool {
        FutureWord(raw: word.load(ordering: .acquiring)).isDone
    }

    @discardableResult
    public func cancel() -> Bool {
        let (before, changed) = transition { current in
            current.phase == FutureWord.pending ? current.with(phase: FutureWord.cancelled) : nil
        }
        if changed { notify(before) }
        return before.phase == FutureWord.pending || before.phase == FutureWord.cancelled
            || before.phase == FutureWord.cancelledAndNotified
    }

    public func result(timeout: Duration?) throws -> Value {
        try waitUntilFinished(timeout: timeout)
        if let error { throw error }
        return loadValue()
    }

    public func exception(timeout: Duration?) throws -> (any Error)? {
        try waitUntilFinished(timeout: timeout)
        return error
    }

    public func addDoneCallback(_ callback: @escaping DoneCallback) {
        if !FutureWord(raw: word.load(ordering: .acquiring)).isDone {
            let stored = ParkingLot.stripe(for: self).withLock { _ -> Bool in
                guard setFlagUnlessDone(FutureWord.callbacks) else { return false }
                callbacks.append { try callback(unsafeDowncast($0, to: Future<Value>.self)) }
                return true
            }
            if stored { return }
        }
        runCallback { try callback(self) }
    }

    public func setRunningOrNotifyCancel() throws -> Bool {
        let (before, _) = try transition { current in
            switch current.phase {
            case FutureWord.pending: current.with(phase: FutureWord.running)
            case FutureWord.cancelled: current.with(phase: FutureWord.cancelledAndNotified)
            default:
                throw ConcurrencyError.invalidState(operation: .setRunningOrNotifyCancel, state: current.state)
            }
        }
        return before.phase == FutureWord.pending
    }

    public func setResult(_ value: Value) throws {
        let claimed = try claimCompletion(operation: .setResult)
        storeValue(value)
        publishCompletion(claimed)
    }

    public func setException(_ error: any Error) throws {
        let claimed = try claimCompletion(operation: .setException)
        self.error = error
        publishCompletion(claimed)
    }

    public var description: String {
        let address = String(UInt(bitPattern: ObjectIdentifier(self)), radix: 16)
        let current = FutureWord(raw: word.load(ordering: .acquiring))
        switch current.state {
        case .finished:
            if let error { return "<Future at 0x\(address) state=finished raised \(type(of: error))>" }
            return "<Future at 0x\(address) state=finished returned \(type(of: loadValue()))>"
        case .pending: return "<Future at 0x\(address) state=pending>"
        case .running: return "<Future at 0x\(address) state=running>"
        case .cancelled, .cancelledAndNotified: return "<Future at 0x\(address) state=cancelled>"
        }
    }

    // MARK: Transitions

    /// Claims the right to complete the future: sets `completing` on a
    /// pending or running future. Python allows `set_result` on a pending
    /// future that never ran, so `pending → finished` is legal as well as
    /// `running → finished`.
    /// - Returns: The word before the claim.
    private func claimCompletion(operation: FutureOperation) throws -> FutureWord {
        try transition { current in
            guard current.phase == FutureWord.pending || current.phase == FutureWord.running else {
                throw ConcurrencyError.invalidState(operation: operation, state: current.state)
            }
            return current.adding(FutureWord.completing)
        }.before
    }

    /// The one compare-exchange loop behind every transition: `decide` sees
    /// the word with no completion in flight and returns the word to install,
    /// or `nil` to leave the future as it is (or throws). Retries whenever
    /// another thread changed the word first.
    /// - Returns: The word `decide` last saw, and whether it was replaced.
    @inline(__always)
    private func transition(
        _ decide: (FutureWord) throws -> FutureWord?
    ) rethrows -> (before: FutureWord, changed: Bool) {
        var current = settledWord()
        while true {
            guard let next = try decide(current) else { return (current, false) }
            let (exchanged, original) = word.compareExchange(
                expected: current.raw, desired: next.raw, ordering: .acquiringAndReleasing
            )
            if exchanged { return (current, true) }
            current = FutureWord(raw: original)
            if current.isCompleting { current = settledWord() }
        }
    }

    /// Publishes the outcome stored after `claimCompletion` returned
    /// `claimed`: one add turns "phase p, completing" into "finished",
    /// keeping the flags that readers and callback owners set meanwhile.
    private func publishCompletion(_ claimed: FutureWord) {
        let delta = FutureWord.finished - claimed.phase - FutureWord.completing
        notify(FutureWord(raw: word.wrappingAdd(delta, ordering: .acquiringAndReleasing).oldValue))
    }

    // MARK: Value storage

    /// Whether a `Value` fits in `valueStorage`. Constant per type, so the
    /// branch folds away wherever the code is specialized.
    private static var storesInline: Bool {
        MemoryLayout<Value>.size <= MemoryLayout<(UInt, UInt, UInt, UInt)>.size
            && MemoryLayout<Value>.alignment <= MemoryLayout<UInt>.alignment
    }

    /// Call only while holding the completion claim.
    private func storeValue(_ value: Value) {
        if Self.storesInline {
            withUnsafeMutableBytes(of: &valueStorage) {
                _ = $0.baseAddress!.initializeMemory(as: Value.self, to: value)
            }
        } else {
            boxedValue = ValueBox(value)
        }
    }

    /// Call only once the finished phase with no error has been observed.
    private func loadValue() -> Value {
        if Self.storesInline {
            // A read of a bitwise copy of the storage, not an inout access:
            // readers run concurrently, and two inout accesses would be a
            // (reported) exclusivity conflict. `load` copies the value
            // properly (retains), while the future keeps its own.
            return withUnsafeBytes(of: valueStorage) { $0.load(as: Value.self) }
        }
        return unsafeDowncast(boxedValue!, to: ValueBox<Value>.self).value
    }

    /// After a transition to done: wakes parked readers and runs the stored
    /// callbacks, if the flags of the word before the transition say there
    /// are any.
    private func notify(_ before: FutureWord) {
        guard before.hasWaiters || before.hasCallbacks else { return }
        let stripe = ParkingLot.stripe(for: self)
        // Taking the lock also orders this wake-up after any reader that set
        // the flag and is about to wait: it holds the lock until it waits.
        let taken = stripe.withLock { wakeUps -> [@Sendable (AnyObject) throws -> Void] in
            if before.hasWaiters { wakeUps &+= 1 }
            defer { callbacks = [] }
            return callbacks
        }
        if before.hasWaiters { stripe.broadcast() }
        for callback in taken {
            runCallback { try callback(self) }
        }
    }

    /// The current word once no completion is in flight. A completer holds
    /// `completing` for a store and an add, so this rarely loops.
    private func settledWord() -> FutureWord {
        var current = FutureWord(raw: word.load(ordering: .acquiring))
        while current.isCompleting {
            sched_yield()
            current = FutureWord(raw: word.load(ordering: .acquiring))
        }
        return current
    }

    /// Sets `flag` unless the future is done. Call with the stripe lock held.
    /// - Returns: `true` when the flag is set and the future not done.
    private func setFlagUnlessDone(_ flag: Int) -> Bool {
        var current = FutureWord(raw: word.load(ordering: .acquiring))
        while true {
            if current.isDone { return false }
            if current.raw & flag != 0 { return true }
            let (exchanged, original) = word.compareExchange(
                expected: current.raw, desired: current.adding(flag).raw, ordering: .acquiringAndReleasing
            )
            if exchanged { return true }
            current = FutureWord(raw: original)
        }
    }

    // MARK: Reading

    /// Returns once the future is finished; throws when it is cancelled, or
    /// still not done at the deadline.
    private func waitUntilFinished(timeout: Duration?) throws {
        var current = FutureWord(raw: word.load(ordering: .acquiring))
        if !current.isDone {
            let deadline = timeout.map(MonotonicInstant.after)
            current = spin(until: deadline)
            if !current.isDone && !park(until: deadline) {
                throw ConcurrencyError.timeout(unfinished: nil)
            }
            current = FutureWord(raw: word.load(ordering: .acquiring))
        }
        if current.phase != FutureWord.finished { throw ConcurrencyError.cancelled }
    }

    /// Spins for at most ``spinLimit`` (and never past `deadline`), reading
    /// the word; returns the last word read.
    private func spin(until deadline: MonotonicInstant?) -> FutureWord {
        var end = MonotonicInstant.after(Self.spinLimit)
        if let deadline, deadline < end { end = deadline }
        var current = FutureWord(raw: word.load(ordering: .acquiring))
        var rounds = 0
        while !current.isDone {
            rounds &+= 1
            // The clock costs more than a load: read it every 32 rounds.
            if rounds & 31 == 0 && MonotonicInstant.now >= end { break }
            current = FutureWord(raw: word.load(ordering: .acquiring))
        }
        return current
    }

    /// Parks on the stripe until done or `deadline`.
    /// - Returns: Whether the future is done.
    private func park(until deadline: MonotonicInstant?) -> Bool {
        ParkingLot.stripe(for: self).wait(
            until: { _ in !self.setFlagUnlessDone(FutureWord.waiters) },
            deadline: deadline
        ) { _, done in done }
    }

    /// Runs one callback; its error goes to the handler, never further.
    private func runCallback(_ callback: () throws -> Void) {
        do {
            try callback()
        } catch {
            if let callbackErrorHandler {
                callbackErrorHandler(error, self)
            } else {
                Self.logCallbackError(error, self)
            }
        }
    }

    private static func logCallbackError(_ error: any Error, _ future: Future<Value>) {
        let line = "ConcurrencyReference: exception calling callback for \(future): \(error)\n"
        // write(2) on descriptor 2 rather than the C `stderr` global, which
        // Swift 6 rightly treats as shared mutable state.
        _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }
}

/// A value too large for a future's inline storage.
private final class ValueBox<Value> {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import ConcurrencyPrimitives
import ConcurrencySpec

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
/// (``result(timeout:)``, ``exception(timeout:)``) park on a condition
/// variable and are all woken by the completion; done callbacks run on the
/// thread that completes or cancels the future, in registration order,
/// before that call returns.
///
/// ```swift
/// let future = Future<Int>()
/// Thread { try? future.setResult(42) }.start()
/// print(try future.result())          // 42
/// ```
public final class Future<Value: Sendable>: ConcurrentFuture, CustomStringConvertible {
    /// A done callback; it receives the future.
    public typealias DoneCallback = @Sendable (Future<Value>) throws -> Void

    /// Receives the errors that done callbacks throw.
    public typealias CallbackErrorHandler = @Sendable (_ error: any Error, _ future: Future<Value>) -> Void

    private let machine: ConditionLock<FutureStateMachine<Value, DoneCallback>>
    /// `nil` for the default logger: a stored reference to a generic static
    /// method would cost every future a closure context.
    private let callbackErrorHandler: CallbackErrorHandler?

    /// Creates a pending future.
    ///
    /// - Parameter callbackErrorHandler: Called with each error a done
    ///   callback throws. The default writes a line to standard error, as
    ///   Python logs `exception calling callback for <Future …>`.
    public init(callbackErrorHandler: CallbackErrorHandler? = nil) {
        machine = ConditionLock(FutureStateMachine())
        self.callbackErrorHandler = callbackErrorHandler
    }

    public var state: FutureState {
        machine.withLock { $0.state }
    }

    @discardableResult
    public func cancel() -> Bool {
        switch machine.withLock({ $0.cancel() }) {
        case .cancelled(let callbacks):
            machine.broadcast()
            runCallbacks(callbacks)
            return true
        case .alreadyCancelled:
            return true
        case .refused:
            return false
        }
    }

    public func result(timeout: Duration?) throws -> Value {
        try awaitOutcome(timeout: timeout).get()
    }

    public func exception(timeout: Duration?) throws -> (any Error)? {
        switch try awaitOutcome(timeout: timeout) {
        case .success: nil
        case .failure(let error): error
        }
    }

    public func addDoneCallback(_ callback: @escaping DoneCallback) {
        switch machine.withLock({ $0.addCallback(callback) }) {
        case .stored: break
        case .runNow: runCallbacks(CollectionOfOne(callback))
        }
    }

    public func setRunningOrNotifyCancel() throws -> Bool {
        try machine.withLock { $0.setRunningOrNotifyCancel() }.get()
    }

    public func setResult(_ value: Value) throws {
        try complete(with: .success(value), operation: .setResult)
    }

    public func setException(_ error: any Error) throws {
        try complete(with: .failure(error), operation: .setException)
    }

    public var description: String {
        let address = String(UInt(bitPattern: ObjectIdentifier(self)), radix: 16)
        return switch machine.withLock({ $0.phase }) {
        case .finished(.success(let value)): "<Future at 0x\(address) state=finished returned \(type(of: value))>"
        case .finished(.failure(let error)): "<Future at 0x\(address) state=finished raised \(type(of: error))>"
        case .pending: "<Future at 0x\(address) state=pending>"
        case .running: "<Future at 0x\(address) state=running>"
        case .cancelled, .cancelledAndNotified: "<Future at 0x\(address) state=cancelled>"
        }
    }

    private func complete(with outcome: Result<Value, any Error>, operation: FutureOperation) throws {
        switch machine.withLock({ $0.complete(with: outcome, operation: operation) }) {
        case .completed(let callbacks):
            machine.broadcast()
            runCallbacks(callbacks)
        case .refused(let error):
            throw error
        }
    }

    private func awaitOutcome(timeout: Duration?) throws -> Result<Value, any Error> {
        let deadline = timeout.map(MonotonicInstant.after)
        let reading = machine.wait(
            until: { if case .notDone = $0.reading { false } else { true } },
            deadline: deadline,
            { machine, _ in machine.reading }
        )
        switch reading {
        case .outcome(let outcome): return outcome
        case .cancelled: throw ConcurrencyError.cancelled
        case .notDone: throw ConcurrencyError.timeout(unfinished: nil)
        }
    }

    private func runCallbacks(_ callbacks: some Sequence<DoneCallback>) {
        for callback in callbacks {
            do {
                try callback(self)
            } catch {
                if let callbackErrorHandler {
                    callbackErrorHandler(error, self)
                } else {
                    Self.logCallbackError(error, self)
                }
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

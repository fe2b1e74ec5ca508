/// A call that can cross a process boundary: a `Codable` value that names the
/// work and carries its arguments, with a `Codable` result.
///
/// Python's process pools pickle the callable, its arguments and its result.
/// Swift cannot send a closure to another process, so the honest Swift form
/// of "picklable" is a value that encodes itself and a worker program that
/// knows its type by name and runs it. The job's type is the callable, its
/// stored properties are the arguments:
///
/// ```swift
/// struct IsPrime: PortableJob {
///     var n: Int
///     func run() -> Bool { ... }
/// }
/// let future = try pool.submit(IsPrime(n: 112_272_535_095_293))
/// ```
///
/// Any ``ConcurrentExecutor`` accepts a portable job: a thread pool simply
/// runs ``run()`` on a worker thread, a process pool encodes the value, runs
/// it in a worker process that registered the type, and decodes the result.
/// A value whose encoding or decoding fails fails its own future with
/// ``ConcurrencyError/unserializable(type:reason:)``; the pool goes on.
public protocol PortableJob: Codable, Sendable {
    /// What the job returns; it travels back to the submitting process.
    associatedtype Result: Codable & Sendable

    /// The name a worker program registers the type under. Default: the
    /// type's fully qualified name, which is the same in every process built
    /// from the same sources.
    static var jobName: String { get }

    /// Error types the job may throw that should reach the submitter as
    /// themselves rather than as a ``RemoteJobError``. Python re-raises a
    /// worker's exception with its own type because exceptions pickle; in
    /// Swift an error type opts in by being a ``PortableError`` listed here.
    static var portableErrors: [any PortableError.Type] { get }

    /// Does the work. Runs on a worker thread or in a worker process.
    /// - Throws: Whatever the work throws; it becomes the future's error.
    func run() throws -> Result
}

extension PortableJob {
    // `_typeName` rather than `String(reflecting:)`: the latter looks up
    // protocol conformances first, and the first such lookup in a process
    // scans every conformance record, which made a worker's start-up slow.
    public static var jobName: String { _typeName(Self.self, qualified: true) }
    public static var portableErrors: [any PortableError.Type] { [] }
}

/// An error that can travel from a worker process back to the submitter and
/// be re-created there with its own type and contents.
public protocol PortableError: Error, Codable, Sendable {
    /// The name the error travels under. Default: the type's fully qualified
    /// name.
    static var errorName: String { get }
}

extension PortableError {
    public static var errorName: String { _typeName(Self.self, qualified: true) }
}

/// An error thrown by a job in another process whose type is not a
/// ``PortableError`` that the job lists, so only its type name and
/// description could travel.
///
/// A listed ``PortableError`` that the submitting process cannot decode (a
/// worker built with another version of the error type, a `Decodable`
/// conformance that throws) arrives as this too: `typeName` is then the
/// error's ``PortableError/errorName``, and `message` its description in
/// the worker.
///
/// Python always re-raises the worker's exception with its own type; Swift
/// errors carry no encoding of their own, so this is the faithful remainder.
public struct RemoteJobError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The fully qualified name of the error's type in the worker, or the
    /// ``PortableError/errorName`` of a portable error that the submitting
    /// process could not decode.
    public var typeName: String
    /// `String(describing:)` of the error in the worker.
    public var message: String

    /// Creates the error from what the worker reported.
    public init(typeName: String, message: String) {
        self.typeName = typeName
        self.message = message
    }

    public var description: String { "\(typeName) raised in a worker process: \(message)" }
}

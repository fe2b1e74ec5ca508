import ConcurrencySpec
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The jobs that the executor clauses submit so that they run alike on
/// threads and in worker processes.
public enum ProbeJobs {
    /// Every type, for ``Conformance/workerJobs``.
    public static let all: [any PortableJob.Type] = [Probe.self]
}

/// A scratch directory that a check shares with the jobs it submits, in this
/// process or in a worker process: the cross-process stand-in for the
/// latches, counters and logs a thread-pool check would keep in memory.
///
/// Everything on it is a file, because a file is the one thing a job in any
/// process sees the same way: a gate is open once its file exists; a counter
/// is a file that grows by one byte per bump (`O_APPEND`, so concurrent bumps
/// from any process never overwrite each other); a log is a file of lines,
/// each appended by a single `write`. ``CheckContext/makeBoard()`` makes one
/// per check and removes it when the check ends; a job still waiting on a
/// gate then gives up at once instead of at its timeout.
public struct Board: Codable, Sendable, Hashable {
    /// The directory.
    public let path: String

    /// How often a waiter looks at a gate: short next to the 50 ms unit, so
    /// polling adds no measurable latency, long enough to cost nothing.
    static let pollInterval: Double = 0.0005

    /// Creates a fresh, empty directory under the temporary directory.
    static func create() throws -> Board {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/ck-board-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ConcurrencyError.invalidArgument("cannot create a board under \(base): errno \(errno)")
        }
        return Board(path: String(cString: made))
    }

    /// Removes the directory and everything on it. A job that writes at the
    /// same moment can leave a file behind; one retry covers that race.
    func remove() {
        for _ in 0..<2 {
            if (try? FileManager.default.removeItem(atPath: path)) != nil || !exists { return }
            usleep(1000)
        }
    }

    private var exists: Bool { access(path, F_OK) == 0 }

    private func file(_ kind: String, _ name: String) -> String { "\(path)/\(kind)-\(name)" }

    // MARK: Gates

    /// Opens a gate (creates its file). Idempotent.
    public func open(_ gate: String) {
        let descriptor = openFile(file("gate", gate), O_CREAT | O_WRONLY | O_CLOEXEC)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether the gate is open.
    public func isOpen(_ gate: String) -> Bool { access(file("gate", gate), F_OK) == 0 }

    /// Blocks until the gate opens, `timeout` seconds pass, or the board is
    /// removed (its check is over, so nobody will open the gate).
    /// - Returns: Whether the gate opened.
    @discardableResult
    public func wait(for gate: String, timeout seconds: Double) -> Bool {
        let deadline = monotonicNow() + Int64(seconds * 1e9)
        while true {
            if isOpen(gate) { return true }
            if monotonicNow() >= deadline || !exists { return false }
            Thread.sleep(forTimeInterval: Self.pollInterval)
        }
    }

    // MARK: Counters

    /// Adds one to a counter: one byte appended to its file.
    public func bump(_ counter: String) {
        append(to: file("count", counter), [0x2B])
    }

    /// The counter's value: its file's size.
    public func count(_ counter: String) -> Int {
        var status = stat()
        return stat(file("count", counter), &status) == 0 ? Int(status.st_size) : 0
    }

    // MARK: Logs

    /// Appends a record to a log in one `write`, so records from concurrent
    /// jobs never interleave.
    public func append(_ record: ProbeRecord, to log: String) {
        append(to: file("log", log), Array("\(record.tag) \(record.start) \(record.end) \(record.worker)\n".utf8))
    }

    /// The log's records, in the order they were appended.
    public func records(_ log: String) -> [ProbeRecord] {
        guard let text = try? String(contentsOfFile: file("log", log), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 4, let tag = Int(fields[0]), let start = Int64(fields[1]), let end = Int64(fields[2]) else {
                return nil
            }
            return ProbeRecord(tag: tag, start: start, end: end, worker: String(fields[3]))
        }
    }

    private func append(to path: String, _ bytes: [UInt8]) {
        let descriptor = openFile(path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = bytes.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }
}

/// One line of a board's log: which probe (`tag`), when it started and when
/// it wrote the record on CLOCK_MONOTONIC (nanoseconds, the same clock in
/// every process of the machine, so records from different workers compare),
/// and the worker that ran it as `pid:tid`.
public struct ProbeRecord: Sendable, Hashable, Codable {
    public var tag: Int
    public var start: Int64
    public var end: Int64
    public var worker: String

    /// The most records whose spans overlap at one instant: how many probes
    /// ran at once. A record that ends exactly when another starts does not
    /// overlap it.
    static func peakOverlap(_ records: [ProbeRecord]) -> Int {
        var events: [(time: Int64, change: Int)] = []
        for record in records {
            events.append((record.start, 1))
            events.append((record.end, -1))
        }
        // At equal times the end counts first.
        events.sort { $0.time != $1.time ? $0.time < $1.time : $0.change < $1.change }
        var running = 0
        var peak = 0
        for (_, change) in events {
            running += change
            peak = max(peak, running)
        }
        return peak
    }
}

/// The error a ``Probe`` throws: portable, so it reaches the submitter as
/// itself from a worker process too, and comparable by value, which is how
/// "the same error" reads once an error can cross a process boundary.
public struct ProbeFailure: PortableError, Equatable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "ProbeFailure(\(message))" }
}

/// The job the executor clauses submit: a list of steps over a ``Board``,
/// then a return value.
///
/// It runs the same on a worker thread and in a worker process, which is why
/// the clauses use it: each clause keeps one check for every kind of
/// executor, and what the check observes (gates, counters, logs, times) it
/// reads from the board, never from memory the job would have to share.
public struct Probe: PortableJob {
    /// One thing a probe does.
    public enum Step: Codable, Sendable, Hashable {
        /// Sleeps this many seconds.
        case sleep(Double)
        /// Opens a gate.
        case open(String)
        /// Waits for a gate, giving up after this many seconds (as a latch
        /// wait with patience: the probe goes on either way).
        case wait(String, timeout: Double)
        /// Bumps a counter.
        case bump(String)
        /// Appends a ``ProbeRecord`` to a log: this tag, the probe's start,
        /// now, and the worker.
        case record(String, tag: Int)
        /// Throws ``ProbeFailure`` with this message.
        case fail(String)
    }

    /// Where the steps read and write; `nil` for probes that only sleep,
    /// return and fail.
    public var board: Board?
    public var steps: [Step]
    /// What the probe returns after its last step.
    public var value: Int

    public init(board: Board? = nil, _ steps: [Step], value: Int = 0) {
        self.board = board
        self.steps = steps
        self.value = value
    }

    public static var portableErrors: [any PortableError.Type] { [ProbeFailure.self] }

    public func run() throws -> Int {
        let start = monotonicNow()
        for step in steps {
            switch step {
            case .sleep(let seconds):
                blockingSleep(.seconds(seconds))
            case .open(let gate):
                try onBoard().open(gate)
            case .wait(let gate, let timeout):
                try onBoard().wait(for: gate, timeout: timeout)
            case .bump(let counter):
                try onBoard().bump(counter)
            case .record(let log, let tag):
                try onBoard().append(ProbeRecord(tag: tag, start: start, end: monotonicNow(), worker: Self.worker), to: log)
            case .fail(let message):
                throw ProbeFailure(message: message)
            }
        }
        return value
    }

    private func onBoard() throws -> Board {
        guard let board else { throw ProbeFailure(message: "a probe step needs a board and the probe has none") }
        return board
    }

    /// The running worker as `pid:tid`: the process tells processes apart,
    /// the thread tells threads apart within one.
    static var worker: String {
        // The kernel's thread ID where there is one; it is unique across the
        // machine's live threads, unlike a pthread_t, which is an address.
        let thread = OSThreadID.current.map { "\($0)" } ?? "\(ThreadIdentity.current)"
        // Records are space-separated.
        return "\(getpid()):" + thread.replacingOccurrences(of: " ", with: "")
    }
}

/// `open(2)` with mode 0644, outside ``Board``, whose `open(_:)` would
/// shadow it.
private func openFile(_ path: String, _ flags: Int32) -> Int32 {
    open(path, flags, 0o644)
}

import ConcurrencySpec

/// The whole synchronization state of a ``Future`` in one machine word, so
/// that every transition is a single atomic read-modify-write.
///
/// The low three bits hold the phase. Three flags sit above them:
/// - `completing`: a completer has claimed the future and is storing its
///   outcome; the phase still shows the state before completion, and every
///   other transition waits the few instructions until it is published.
/// - `waiters`: a reader may be parked on the future's stripe; the
///   completion must wake the stripe.
/// - `callbacks`: done callbacks are stored; the completion must take them.
struct FutureWord: Equatable {
    var raw: Int

    static let phaseMask = 0b111
    static let pending = 0
    static let running = 1
    static let cancelled = 2
    static let cancelledAndNotified = 3
    static let finished = 4

    static let completing = 1 << 3
    static let waiters = 1 << 4
    static let callbacks = 1 << 5

    init(raw: Int) { self.raw = raw }

    var phase: Int { raw & Self.phaseMask }
    var isCompleting: Bool { raw & Self.completing != 0 }
    var hasWaiters: Bool { raw & Self.waiters != 0 }
    var hasCallbacks: Bool { raw & Self.callbacks != 0 }
    var isDone: Bool { phase >= Self.cancelled }

    /// The same word with another phase; flags are kept.
    func with(phase: Int) -> FutureWord {
        FutureWord(raw: raw & ~Self.phaseMask | phase)
    }

    func adding(_ flag: Int) -> FutureWord {
        FutureWord(raw: raw | flag)
    }

    var state: FutureState {
        switch phase {
        case Self.pending: .pending
        case Self.running: .running
        case Self.cancelled: .cancelled
        case Self.cancelledAndNotified: .cancelledAndNotified
        default: .finished
        }
    }
}

/// When a wait over several futures returns.
///
/// Python: the `return_when` argument of `concurrent.futures.wait` and
/// `asyncio.wait`, whose constants are `FIRST_COMPLETED`, `FIRST_EXCEPTION`
/// and `ALL_COMPLETED`. An enum makes Python's "unknown value" `ValueError`
/// impossible to write.
public enum ReturnWhen: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Return as soon as any future finishes or is cancelled. Python:
    /// `FIRST_COMPLETED`.
    case firstCompleted
    /// Return as soon as any future finishes with an error; when none does,
    /// behave like ``allCompleted``. Python: `FIRST_EXCEPTION`.
    case firstException
    /// Return when every future is done. Python: `ALL_COMPLETED`, the default.
    case allCompleted

    /// Python's spelling of the constant.
    public var pythonName: String {
        switch self {
        case .firstCompleted: "FIRST_COMPLETED"
        case .firstException: "FIRST_EXCEPTION"
        case .allCompleted: "ALL_COMPLETED"
        }
    }

    public var description: String { pythonName }
}

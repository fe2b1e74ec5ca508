#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which thread is running, as a comparable value.
public struct ThreadIdentity: Hashable, Sendable, CustomStringConvertible {
    private let raw: UInt

    /// The calling thread.
    public static var current: ThreadIdentity {
        #if canImport(Darwin)
        ThreadIdentity(raw: UInt(bitPattern: pthread_self()))
        #else
        ThreadIdentity(raw: UInt(pthread_self()))
        #endif
    }

    public var description: String { "thread 0x" + String(raw, radix: 16) }
}

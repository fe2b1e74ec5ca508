#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole frames from a socket, a buffer at a time, so that a batch of
/// small frames costs one system call rather than two per frame.
///
/// The buffer is raw memory that the stream owns: reading into an `Array`
/// would mean filling it first, which unoptimized builds do element by
/// element, and that dominated a worker's start-up in debug builds.
package final class FrameStream {
    private let descriptor: Int32
    private let maximumLength: Int
    private var storage: UnsafeMutableRawBufferPointer
    /// Unread bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0

    /// - Parameter maximumLength: The longest frame accepted; longer is
    ///   garbled. Only the mutant gallery passes anything but the default.
    package init(descriptor: Int32, maximumLength: Int = Wire.maximumFrameLength) {
        self.descriptor = descriptor
        self.maximumLength = maximumLength
        storage = .allocate(byteCount: 1 << 16, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// The next frame's payload (tag first), or `nil` at a clean end of
    /// stream between frames.
    /// - Throws: ``WireError/garbled(_:)`` for an oversized or empty frame or
    ///   a stream that ends inside a frame; ``SystemError`` when reading fails.
    package func next() throws -> [UInt8]? {
        while true {
            let available = end - start
            if available >= 4 {
                let length = Int(UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
                guard length > 0, length <= maximumLength else {
                    throw WireError.garbled("frame length \(length) is outside 1...\(maximumLength)")
                }
                if available >= 4 + length {
                    let payload = Array(UnsafeRawBufferPointer(rebasing: storage[(start + 4)..<(start + 4 + length)]))
                    start += 4 + length
                    return payload
                }
            }
            if try fill() == 0 {
                if end == start { return nil }
                throw WireError.garbled("the stream ended inside a frame")
            }
        }
    }

    /// Grows the buffer to hold at least `needed` bytes from `start`, by
    /// doubling, so a large frame costs amortized linear time. It grows only
    /// as bytes arrive, never to a length a frame merely announces.
    private func reserve(_ needed: Int) {
        if needed > storage.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(needed, storage.count * 2), alignment: 8)
            larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[start..<end]))
            storage.deallocate()
            storage = larger
            end -= start
            start = 0
        }
    }

    private func fill() throws -> Int {
        if start > 0 {
            let count = end - start
            if count > 0 {
                storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: count)
            }
            start = 0
            end = count
        }
        if end == storage.count { reserve(storage.count + 1) }
        let received = retryingInterrupts { read(descriptor, storage.baseAddress! + end, storage.count - end) }
        if received < 0 { throw SystemError(call: "read", code: errno) }
        end += received
        return received
    }
}

/// A failed system call.
package struct SystemError: Error, CustomStringConvertible {
    package let call: String
    package let code: Int32

    package init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    package var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// Repeats `call` while it fails with `EINTR`.
@inline(__always)
package func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// Writes all of `bytes` to a socket. `MSG_NOSIGNAL` turns a closed peer into
/// `EPIPE` instead of a `SIGPIPE` that would kill the process: a library must
/// not change the process's signal dispositions to survive a dead worker.
package func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let sent = retryingInterrupts {
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 { throw SystemError(call: "send", code: errno) }
            offset += sent
        }
    }
}

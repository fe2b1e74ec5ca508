#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole frames from a socket, a buffer at a time, so that a batch of
/// small frames costs one system call rather than two per frame.
package struct FrameStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    package init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    /// The next frame's payload (tag first), or `nil` at a clean end of
    /// stream between frames.
    /// - Throws: ``WireError/garbled(_:)`` for an oversized or empty frame or
    ///   a stream that ends inside a frame; ``SystemError`` when reading fails.
    package mutating func next() throws -> [UInt8]? {
        while true {
            let available = buffer.count - start
            if available >= 4 {
                let length = buffer.withUnsafeBytes { raw in
                    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt32.self))
                }
                guard length > 0, length <= Wire.maximumFrameLength else {
                    throw WireError.garbled("frame length \(length) is outside 1...\(Wire.maximumFrameLength)")
                }
                if available >= 4 + Int(length) {
                    let payload = Array(buffer[(start + 4)..<(start + 4 + Int(length))])
                    start += 4 + Int(length)
                    return payload
                }
            }
            // Compact before growing, so the buffer holds at most one frame
            // plus one read's worth.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let read = try fill()
            if read == 0 {
                if buffer.count - start == 0 { return nil }
                throw WireError.garbled("the stream ended inside a frame")
            }
        }
    }

    private mutating func fill() throws -> Int {
        let chunk = 1 << 16
        let oldCount = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        let received = buffer.withUnsafeMutableBytes { raw in
            retryingInterrupts { read(descriptor, raw.baseAddress! + oldCount, chunk) }
        }
        buffer.removeLast(chunk - max(received, 0))
        if received < 0 { throw SystemError(call: "read", code: errno) }
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

/// The frames that a process pool and its workers exchange.
///
/// Every frame is a little-endian `UInt32` length followed by that many bytes,
/// the first of which is a ``Tag``. Jobs and results inside are encoded with
/// ``BinaryEncoder``, and the envelope around them lets one frame carry a
/// batch of calls without re-encoding them. Reading never trusts a length: a frame longer than
/// ``maximumFrameLength`` or a field that runs past its frame is
/// ``WireError/garbled(_:)``, which the pool treats as a broken worker.
package enum Wire {
    /// The largest frame either side accepts: 64 MiB.
    package static let maximumFrameLength = 64 << 20

    /// The worker's end of the socket in a worker process.
    package static let workerDescriptor: Int32 = 3

    package enum Tag: UInt8 {
        /// Parent to worker: a batch of calls, each `id`, job name, encoded job.
        case runBatch = 0x01
        /// Parent to worker: the initializer job, run once before any call.
        case initialize = 0x02
        /// Worker to parent: outcomes of calls, each `id`, kind, payload.
        case results = 0x81
        /// Worker to parent: the initializer's outcome.
        case initialized = 0x82
    }

    /// How a call ended, as the worker reports it.
    package enum Outcome: Sendable, Equatable {
        /// The encoded result.
        case success([UInt8])
        /// A ``ConcurrencySpec/PortableError`` the job lists: its name, its
        /// encoding, and its description, which the parent reports when it
        /// cannot decode the encoding (``ConcurrencySpec/RemoteJobError``).
        case portableError(name: String, encoding: [UInt8], message: String)
        /// Any other error: its type's name and description.
        case remoteError(typeName: String, message: String)
        /// The job or its result could not be encoded or decoded, or the
        /// worker does not know the job.
        case unserializable(type: String, reason: String)
        /// One outcome per call of a chunk in which some call did not
        /// succeed (a chunk that succeeded whole is one `success`).
        indirect case chunk([Outcome])
    }
}

/// A frame that does not follow ``Wire``.
package enum WireError: Error, Equatable, CustomStringConvertible {
    case garbled(String)

    package var description: String {
        switch self {
        case .garbled(let what): "garbled frame: \(what)"
        }
    }
}

/// Builds one frame.
package struct FrameWriter {
    package private(set) var bytes: [UInt8]

    /// Starts a frame with `tag`; the length is filled in by ``finish()``.
    package init(_ tag: Wire.Tag, capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity + 5)
        bytes.append(contentsOf: [0, 0, 0, 0, tag.rawValue])
    }

    package mutating func append(_ value: UInt8) { bytes.append(value) }

    package mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func append(bytes field: some Collection<UInt8>) {
        append(UInt32(field.count))
        bytes.append(contentsOf: field)
    }

    /// Appends bytes that are already encoded fields.
    package mutating func appendRaw(_ raw: some Collection<UInt8>) {
        bytes.append(contentsOf: raw)
    }

    package mutating func append(string: String) {
        append(bytes: Array(string.utf8))
    }

    package mutating func append(_ outcome: Wire.Outcome) {
        switch outcome {
        case .success(let json):
            append(UInt8(0))
            append(bytes: json)
        case .portableError(let name, let encoding, let message):
            append(UInt8(1))
            append(string: name)
            append(bytes: encoding)
            append(string: message)
        case .remoteError(let typeName, let message):
            append(UInt8(2))
            append(string: typeName)
            append(string: message)
        case .unserializable(let type, let reason):
            append(UInt8(3))
            append(string: type)
            append(string: reason)
        case .chunk(let outcomes):
            append(UInt8(4))
            append(UInt32(outcomes.count))
            for outcome in outcomes { append(outcome) }
        }
    }

    /// The frame with its length written in.
    package mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4).littleEndian
        withUnsafeBytes(of: length) { raw in
            for index in 0..<4 { bytes[index] = raw[index] }
        }
        return bytes
    }
}

/// Reads the fields of one frame's payload, checking every bound.
package struct FrameReader {
    private let payload: [UInt8]
    private var position: Int

    /// Reads `payload`, whose first byte is the tag.
    package init(payload: [UInt8]) throws {
        guard !payload.isEmpty else { throw WireError.garbled("empty frame") }
        self.payload = payload
        position = 1
    }

    package var tagByte: UInt8 { payload[0] }

    package var isAtEnd: Bool { position == payload.count }

    private mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, payload.count - position >= count else {
            throw WireError.garbled("\(what) runs past the end of its frame")
        }
        defer { position += count }
        return payload[position..<(position + count)]
    }

    package mutating func readByte(_ what: String) throws -> UInt8 {
        try take(1, what).first!
    }

    package mutating func readUInt32(_ what: String) throws -> UInt32 {
        var value: UInt32 = 0
        for (shift, byte) in try take(4, what).enumerated() { value |= UInt32(byte) << (8 * shift) }
        return value
    }

    package mutating func readUInt64(_ what: String) throws -> UInt64 {
        var value: UInt64 = 0
        for (shift, byte) in try take(8, what).enumerated() { value |= UInt64(byte) << (8 * shift) }
        return value
    }

    package mutating func readBytes(_ what: String) throws -> [UInt8] {
        let count = Int(try readUInt32("length of \(what)"))
        return Array(try take(count, what))
    }

    package mutating func readString(_ what: String) throws -> String {
        let bytes = try take(Int(try readUInt32("length of \(what)")), what)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw WireError.garbled("\(what) is not UTF-8")
        }
        return string
    }

    package mutating func readOutcome(insideChunk: Bool = false) throws -> Wire.Outcome {
        switch try readByte("outcome kind") {
        case 0: return .success(try readBytes("result"))
        case 1:
            return .portableError(
                name: try readString("error name"), encoding: try readBytes("error"),
                message: try readString("error message")
            )
        case 2: return .remoteError(typeName: try readString("error type"), message: try readString("error message"))
        case 3: return .unserializable(type: try readString("type"), reason: try readString("reason"))
        case 4 where !insideChunk:
            let count = Int(try readUInt32("chunk size"))
            // Each outcome takes at least one byte: a count beyond what is
            // left is garbage, not a reason to reserve memory for it.
            guard count <= payload.count - position else { throw WireError.garbled("chunk of \(count) outcomes in a short frame") }
            return .chunk(try (0..<count).map { _ in try readOutcome(insideChunk: true) })
        case let kind: throw WireError.garbled("unknown outcome kind \(kind)")
        }
    }
}

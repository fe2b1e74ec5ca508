// A compact, self-describing binary format for `Codable` values, without
// Foundation: the process pool's jobs and results are tiny, and Foundation's
// JSON coders spend most of their time on per-value dynamic casts (is this a
// Date? a URL?) and on building and parsing text.
//
// The format. Every value is a tag byte and a payload:
//
//   0x00 nil
//   0x01 false, 0x02 true
//   0x03 signed integer: ZigZag LEB128 varint (Int8...Int64, Int)
//   0x04 unsigned integer: LEB128 varint (UInt8...UInt64, UInt)
//   0x05 Float: 4 bytes, the bit pattern little-endian
//   0x06 Double: 8 bytes, the bit pattern little-endian
//   0x07 String: varint byte count, UTF-8
//   0x08 keyed container:   UInt32 LE byte length of the entries, UInt32 LE
//                           entry count, then per entry: varint key length,
//                           the key's `stringValue` in UTF-8, the value
//   0x09 unkeyed container: the same header, then the values
//   0x0A Int128, 0x0B UInt128: 16 bytes little-endian
//
// A container's byte length lets a reader skip it in constant time, so a
// keyed container is searched for a key without decoding the values it
// passes over, and keys may come in any order. Any integer tag decodes into
// any integer type the number fits in.
//
// Reading never trusts the input: every length is checked against the
// enclosing container before use, counts are bounded by the bytes that would
// hold them, nothing is allocated from a length field before checking it, and
// nesting deeper than `maximumDepth` throws rather than exhausting the stack.
// Garbage throws `DecodingError.dataCorrupted`.

// MARK: - Public surface

/// Encodes `Encodable` values in the binary format described above.
package struct BinaryEncoder: Sendable {
    /// Handed to the values being encoded as `Encoder.userInfo`.
    package var userInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// Values nested deeper than this throw `EncodingError.invalidValue`, so
    /// that nothing is produced that a ``BinaryDecoder`` with the same limit
    /// refuses. Every nested non-scalar value or nested container is a level.
    package var maximumDepth = 512

    package init() {}

    package func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, appendingTo: &bytes)
        return bytes
    }

    /// Appends the encoding of `value` to `bytes` (say after a frame header),
    /// which avoids a copy. On error, `bytes` is left as it was.
    package func encode<T: Encodable>(_ value: T, appendingTo bytes: inout [UInt8]) throws {
        let origin = bytes.count
        let state = EncodingState(userInfo: userInfo, maximumDepth: maximumDepth)
        swap(&bytes, &state.bytes)
        do {
            try state.encodeRoot(value)
            swap(&bytes, &state.bytes)
        } catch {
            swap(&bytes, &state.bytes)
            bytes.removeSubrange(origin...)
            throw error
        }
    }
}

/// Decodes `Decodable` values from the binary format that ``BinaryEncoder``
/// writes.
package struct BinaryDecoder: Sendable {
    /// Handed to the values being decoded as `Decoder.userInfo`.
    package var userInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// Input nested deeper than this throws `DecodingError.dataCorrupted`
    /// instead of recursing further. Every nested non-scalar value or nested
    /// container is a level.
    package var maximumDepth = 512

    package init() {}

    package func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    package func decode<T: Decodable>(_ type: T.Type, from bytes: ArraySlice<UInt8>) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes from memory that must stay valid during the call only: the
    /// decoder keeps no reference to it afterwards.
    package func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Empty input: no value to decode."))
        }
        let state = DecodingState(base: base, count: bytes.count, userInfo: userInfo, maximumDepth: maximumDepth)
        // A decoder or container that a decoded value kept fails from now on
        // instead of reading memory it no longer may.
        defer { state.count = 0 }
        let end = try state.skip(at: 0, limit: bytes.count)
        guard end == bytes.count else {
            throw state.corrupted(at: end, "\(bytes.count - end) bytes follow the top-level value")
        }
        return try state.decodeValue(type, at: 0, limit: bytes.count, depth: 0)
    }
}

// MARK: - Format constants and helpers

enum BinaryTag {
    static let null: UInt8 = 0x00
    static let falseValue: UInt8 = 0x01
    static let trueValue: UInt8 = 0x02
    static let signed: UInt8 = 0x03
    static let unsigned: UInt8 = 0x04
    static let float: UInt8 = 0x05
    static let double: UInt8 = 0x06
    static let string: UInt8 = 0x07
    static let keyed: UInt8 = 0x08
    static let unkeyed: UInt8 = 0x09
    static let signed128: UInt8 = 0x0A
    static let unsigned128: UInt8 = 0x0B

    /// Tag, UInt32 byte length, UInt32 count.
    static let containerHeader = 9

    static func describe(_ tag: UInt8) -> String {
        switch tag {
        case null: "null"
        case falseValue, trueValue: "a boolean"
        case signed, unsigned, signed128, unsigned128: "an integer"
        case float, double: "a floating-point number"
        case string: "a string"
        case keyed: "a keyed container"
        case unkeyed: "an unkeyed container"
        default: "unknown tag 0x\(String(tag, radix: 16))"
        }
    }
}

/// The keys of coding paths that the coders make up: keys read back from the
/// bytes, and positions in unkeyed containers.
struct BinaryCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    static let `super` = BinaryCodingKey(stringValue: "super")
}

/// The values with a tag of their own; everything else is a container.
protocol BinaryScalar {
    func encodeBinary(into state: EncodingState)
    /// The value at `offset` and the offset after it; nothing at or past
    /// `limit` is read.
    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: Self, end: Int)
}

extension Bool: BinaryScalar {
    func encodeBinary(into state: EncodingState) { state.bytes.append(self ? BinaryTag.trueValue : BinaryTag.falseValue) }
    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: Bool, end: Int) {
        switch try state.tag(at: offset, limit: limit) {
        case BinaryTag.trueValue: (true, offset + 1)
        case BinaryTag.falseValue: (false, offset + 1)
        case let tag: throw state.mismatch(Bool.self, tag: tag, at: offset)
        }
    }
}

extension String: BinaryScalar {
    func encodeBinary(into state: EncodingState) {
        state.bytes.append(BinaryTag.string)
        state.writeText(self)
    }

    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: String, end: Int) {
        let tag = try state.tag(at: offset, limit: limit)
        guard tag == BinaryTag.string else { throw state.mismatch(String.self, tag: tag, at: offset) }
        var position = offset + 1
        let string = try state.readText(&position, limit: limit)
        return (string, position)
    }
}

extension Double: BinaryScalar {
    func encodeBinary(into state: EncodingState) {
        state.bytes.append(BinaryTag.double)
        state.writeFixed(bitPattern)
    }

    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: Double, end: Int) {
        switch try state.tag(at: offset, limit: limit) {
        case BinaryTag.double:
            return (Double(bitPattern: try state.readFixed(UInt64.self, at: offset + 1, limit: limit)), offset + 9)
        case BinaryTag.float:
            return (Double(Float(bitPattern: try state.readFixed(UInt32.self, at: offset + 1, limit: limit))), offset + 5)
        case let tag:
            throw state.mismatch(Double.self, tag: tag, at: offset)
        }
    }
}

extension Float: BinaryScalar {
    func encodeBinary(into state: EncodingState) {
        state.bytes.append(BinaryTag.float)
        state.writeFixed(bitPattern)
    }

    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: Float, end: Int) {
        switch try state.tag(at: offset, limit: limit) {
        case BinaryTag.float:
            return (Float(bitPattern: try state.readFixed(UInt32.self, at: offset + 1, limit: limit)), offset + 5)
        case BinaryTag.double:
            let double = Double(bitPattern: try state.readFixed(UInt64.self, at: offset + 1, limit: limit))
            guard !double.isFinite || double.magnitude <= Double(Float.greatestFiniteMagnitude) else {
                throw state.corrupted(at: offset, "Number \(double) does not fit in Float.")
            }
            return (Float(double), offset + 9)
        case let tag:
            throw state.mismatch(Float.self, tag: tag, at: offset)
        }
    }
}

protocol BinaryInteger64: BinaryScalar, FixedWidthInteger {}

extension BinaryInteger64 {
    func encodeBinary(into state: EncodingState) {
        if Self.isSigned {
            state.writeSigned(Int64(truncatingIfNeeded: self))
        } else {
            state.writeUnsigned(UInt64(truncatingIfNeeded: self))
        }
    }

    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: Self, end: Int) {
        try state.readInteger(Self.self, at: offset, limit: limit)
    }
}

extension Int: BinaryInteger64 {}
extension Int8: BinaryInteger64 {}
extension Int16: BinaryInteger64 {}
extension Int32: BinaryInteger64 {}
extension Int64: BinaryInteger64 {}
extension UInt: BinaryInteger64 {}
extension UInt8: BinaryInteger64 {}
extension UInt16: BinaryInteger64 {}
extension UInt32: BinaryInteger64 {}
extension UInt64: BinaryInteger64 {}

extension Int128: BinaryScalar {
    func encodeBinary(into state: EncodingState) {
        state.bytes.append(BinaryTag.signed128)
        state.writeFixed(UInt128(bitPattern: self))
    }

    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: Int128, end: Int) {
        try state.readInteger(Int128.self, at: offset, limit: limit)
    }
}

extension UInt128: BinaryScalar {
    func encodeBinary(into state: EncodingState) {
        state.bytes.append(BinaryTag.unsigned128)
        state.writeFixed(self)
    }

    static func decodeBinary(from state: DecodingState, at offset: Int, limit: Int) throws -> (value: UInt128, end: Int) {
        try state.readInteger(UInt128.self, at: offset, limit: limit)
    }
}

// MARK: - Encoding

/// One encoding: the bytes written so far and the stack of values and
/// containers still open.
///
/// Bytes are written in one pass. A container's header is patched with its
/// byte length and count when it closes, which happens when its value's
/// `encode(to:)` returns or when a container below it on the stack is written
/// to again. Using a container after that throws, as does asking one value
/// for two different containers; Codable's own types never do either.
final class EncodingState {
    struct Frame {
        enum Kind: UInt8 { case value, keyed, unkeyed }
        var kind: Kind
        /// Identifies the frame, so that a stale handle to a reused index is
        /// recognised.
        var serial: Int
        /// A value's first byte, or a container's tag.
        var start: Int
        var depth: Int
        var count = 0
        /// The start of the container's latest entry (for coding paths).
        var lastEntry = 0
    }

    private struct Storage {
        var bytes: [UInt8] = []
        var frames: [Frame] = []
        var nextSerial = 1
        var failure: (any Error)?
    }

    // The mutable state lives behind a pointer: a class's stored `var`s are
    // checked for exclusive access at run time, and those checks were 40% of
    // the encoding time. Nothing here hands out overlapping accesses.
    private let storage: UnsafeMutablePointer<Storage>

    var bytes: [UInt8] {
        _read { yield storage.pointee.bytes }
        _modify { yield &storage.pointee.bytes }
    }

    var frames: [Frame] {
        _read { yield storage.pointee.frames }
        _modify { yield &storage.pointee.frames }
    }

    private var nextSerial: Int {
        get { storage.pointee.nextSerial }
        set { storage.pointee.nextSerial = newValue }
    }

    /// A misuse detected where Codable gives no way to throw (asking for a
    /// container); the encoding fails with it at the end.
    var failure: (any Error)? {
        get { storage.pointee.failure }
        set { storage.pointee.failure = newValue }
    }

    let maximumDepth: Int
    private let sendableUserInfo: [CodingUserInfoKey: any Sendable]
    lazy var userInfo: [CodingUserInfoKey: Any] = sendableUserInfo.isEmpty ? [:] : sendableUserInfo.mapValues { $0 }

    init(userInfo: [CodingUserInfoKey: any Sendable], maximumDepth: Int) {
        sendableUserInfo = userInfo
        self.maximumDepth = maximumDepth
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage())
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    func encodeRoot<T: Encodable>(_ value: T) throws {
        try encodeValue(value, depth: 0)
        try close(downTo: 0)
        if let failure { throw failure }
    }

    /// Writes `value` at the end of the bytes.
    func encodeValue<T: Encodable>(_ value: T, depth: Int) throws {
        // Metatype comparisons, not casts: a pointer comparison each.
        if T.self == Int.self { unsafeBitCast(value, to: Int.self).encodeBinary(into: self); return }
        if T.self == String.self { unsafeBitCast(value, to: String.self).encodeBinary(into: self); return }
        if T.self == Double.self { unsafeBitCast(value, to: Double.self).encodeBinary(into: self); return }
        if T.self == Bool.self { unsafeBitCast(value, to: Bool.self).encodeBinary(into: self); return }
        if T.self == Float.self { unsafeBitCast(value, to: Float.self).encodeBinary(into: self); return }
        if T.self == Int64.self { unsafeBitCast(value, to: Int64.self).encodeBinary(into: self); return }
        if T.self == UInt64.self { unsafeBitCast(value, to: UInt64.self).encodeBinary(into: self); return }
        if T.self == Int32.self { unsafeBitCast(value, to: Int32.self).encodeBinary(into: self); return }
        if T.self == UInt32.self { unsafeBitCast(value, to: UInt32.self).encodeBinary(into: self); return }
        if T.self == Int16.self { unsafeBitCast(value, to: Int16.self).encodeBinary(into: self); return }
        if T.self == UInt16.self { unsafeBitCast(value, to: UInt16.self).encodeBinary(into: self); return }
        if T.self == Int8.self { unsafeBitCast(value, to: Int8.self).encodeBinary(into: self); return }
        if T.self == UInt8.self { unsafeBitCast(value, to: UInt8.self).encodeBinary(into: self); return }
        if T.self == UInt.self { unsafeBitCast(value, to: UInt.self).encodeBinary(into: self); return }
        if T.self == Int128.self { unsafeBitCast(value, to: Int128.self).encodeBinary(into: self); return }
        if T.self == UInt128.self { unsafeBitCast(value, to: UInt128.self).encodeBinary(into: self); return }
        try encodeNested(value, depth: depth)
    }

    private func encodeNested<T: Encodable>(_ value: T, depth: Int) throws {
        guard depth <= maximumDepth else {
            throw EncodingError.invalidValue(value, .init(
                codingPath: codingPath(upTo: frames.count),
                debugDescription: "The value is nested more than \(maximumDepth) levels deep."
            ))
        }
        let index = frames.count
        let serial = newSerial()
        frames.append(Frame(kind: .value, serial: serial, start: bytes.count, depth: depth))
        try value.encode(to: ValueEncoder(state: self, index: index, serial: serial))
        try close(downTo: index)
    }

    private func newSerial() -> Int {
        defer { nextSerial &+= 1 }
        return nextSerial
    }

    /// Closes the frames at `index` and above: patches container headers,
    /// and gives a value that wrote nothing an empty keyed container (as
    /// JSONEncoder writes `{}`).
    func close(downTo index: Int) throws {
        while frames.count > index {
            let frame = frames.removeLast()
            switch frame.kind {
            case .value:
                if bytes.count == frame.start { writeContainerHeader(BinaryTag.keyed) ; try patch(frame) }
            case .keyed, .unkeyed:
                try patch(frame)
            }
        }
    }

    private func patch(_ frame: Frame) throws {
        let length = bytes.count - frame.start - BinaryTag.containerHeader
        guard length <= UInt32.max, frame.count <= UInt32.max else {
            throw EncodingError.invalidValue(length, .init(
                codingPath: codingPath(upTo: frames.count),
                debugDescription: "A container holds more than 4 GiB or 2^32 entries."
            ))
        }
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(length).littleEndian, toByteOffset: frame.start + 1, as: UInt32.self)
            $0.storeBytes(of: UInt32(frame.count).littleEndian, toByteOffset: frame.start + 5, as: UInt32.self)
        }
    }

    private func misuse(_ description: String) -> EncodingError {
        EncodingError.invalidValue("", .init(codingPath: codingPath(upTo: frames.count), debugDescription: description))
    }

    private func isOpen(_ index: Int, _ serial: Int) -> Bool {
        index >= 0 && index < frames.count && frames[index].serial == serial
    }

    /// Starts an entry of the container `index`; returns its depth.
    @discardableResult
    func beginEntry(_ index: Int, _ serial: Int) throws -> Int {
        if frames.count != index + 1 || frames[index].serial != serial {
            guard isOpen(index, serial) else {
                throw misuse("A container was used after the value it belongs to was encoded, or after its value asked for another container.")
            }
            try close(downTo: index + 1)
        }
        frames[index].count += 1
        frames[index].lastEntry = bytes.count
        return frames[index].depth
    }

    /// Undoes the entry that `beginEntry` started, after its value threw, so
    /// that a caller that catches the error leaves no half-written entry.
    func abandonEntry(_ index: Int, _ serial: Int) {
        guard isOpen(index, serial) else {
            failure = failure ?? misuse("A container's frame was closed while one of its entries was being encoded.")
            return
        }
        frames.removeSubrange((index + 1)...)
        bytes.removeSubrange(frames[index].lastEntry...)
        frames[index].count -= 1
    }

    /// Checks that the value `index` can still take a single value.
    func beginSingle(_ index: Int, _ serial: Int) throws -> Int {
        guard isOpen(index, serial), frames[index].kind == .value else {
            throw misuse("A single value container was used after its value was encoded.")
        }
        guard frames.count == index + 1, bytes.count == frames[index].start else {
            throw misuse("Attempt to encode value through single value container when previously value already encoded.")
        }
        return frames[index].depth
    }

    func abandonSingle(_ index: Int, _ serial: Int) {
        guard isOpen(index, serial) else { return }
        frames.removeSubrange((index + 1)...)
        bytes.removeSubrange(frames[index].start...)
    }

    /// The container that the value `index` asks for: a new one if the value
    /// holds nothing yet, the same one if it asks again.
    func container(of index: Int, _ serial: Int, kind: Frame.Kind) -> (index: Int, serial: Int) {
        guard isOpen(index, serial) else {
            failure = failure ?? misuse("An encoder was asked for a container after its value was encoded.")
            return (-1, 0)
        }
        let start = frames[index].start
        if bytes.count == start {
            do { try close(downTo: index + 1) } catch { failure = failure ?? error }
            return push(kind, depth: frames[index].depth)
        }
        if frames.count > index + 1, frames[index + 1].start == start, frames[index + 1].kind == kind {
            do { try close(downTo: index + 2) } catch { failure = failure ?? error }
            return (index + 1, frames[index + 1].serial)
        }
        failure = failure ?? misuse("An encoder was asked for a \(kind == .keyed ? "keyed" : "unkeyed") container after it had encoded something else.")
        return (-1, 0)
    }

    /// A container nested in an entry of the container `index`.
    func nestedContainer(in index: Int, _ serial: Int, key: (some CodingKey)?, kind: Frame.Kind) -> (index: Int, serial: Int) {
        do {
            let depth = try beginEntry(index, serial) + 1
            if let key { writeKey(key) }
            guard depth <= maximumDepth else {
                throw misuse("A container is nested more than \(maximumDepth) levels deep.")
            }
            return push(kind, depth: depth)
        } catch {
            failure = failure ?? error
            return (-1, 0)
        }
    }

    /// An encoder for an entry of the container `index` (`superEncoder`).
    func nestedEncoder(in index: Int, _ serial: Int, key: (some CodingKey)?) -> ValueEncoder {
        do {
            let depth = try beginEntry(index, serial) + 1
            if let key { writeKey(key) }
            guard depth <= maximumDepth else {
                throw misuse("A value is nested more than \(maximumDepth) levels deep.")
            }
            let serial = newSerial()
            frames.append(Frame(kind: .value, serial: serial, start: bytes.count, depth: depth))
            return ValueEncoder(state: self, index: frames.count - 1, serial: serial)
        } catch {
            failure = failure ?? error
            return ValueEncoder(state: self, index: -1, serial: 0)
        }
    }

    private func push(_ kind: Frame.Kind, depth: Int) -> (index: Int, serial: Int) {
        let start = bytes.count
        writeContainerHeader(kind == .keyed ? BinaryTag.keyed : BinaryTag.unkeyed)
        let serial = newSerial()
        frames.append(Frame(kind: kind, serial: serial, start: start, depth: depth))
        return (frames.count - 1, serial)
    }

    func count(of index: Int, _ serial: Int) -> Int {
        isOpen(index, serial) ? frames[index].count : 0
    }

    /// The coding path of whatever frame `index` holds: the key of the
    /// latest entry of every container below it.
    func codingPath(upTo index: Int) -> [any CodingKey] {
        var path: [any CodingKey] = []
        for frame in frames.prefix(max(0, index)) {
            switch frame.kind {
            case .value:
                continue
            case .unkeyed:
                path.append(BinaryCodingKey(index: frame.count - 1))
            case .keyed:
                var position = frame.lastEntry
                var length = 0
                var shift = 0
                while position < bytes.count, shift < 64 {
                    let byte = bytes[position]
                    position += 1
                    length |= Int(byte & 0x7F) << shift
                    shift += 7
                    if byte & 0x80 == 0 { break }
                }
                let end = min(bytes.count, position + max(0, length))
                path.append(BinaryCodingKey(stringValue: String(decoding: bytes[position..<end], as: UTF8.self)))
            }
        }
        return path
    }

    // Writing.

    func writeContainerHeader(_ tag: UInt8) {
        bytes.append(tag)
        writeFixed(UInt64(0))
    }

    func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    func writeSigned(_ value: Int64) {
        bytes.append(BinaryTag.signed)
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    func writeUnsigned(_ value: UInt64) {
        bytes.append(BinaryTag.unsigned)
        writeVarint(value)
    }

    func writeFixed<I: FixedWidthInteger>(_ value: I) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A varint length and UTF-8.
    func writeText(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    func writeKey(_ key: some CodingKey) {
        writeText(key.stringValue)
    }
}

struct ValueEncoder: Encoder, SingleValueEncodingContainer {
    let state: EncodingState
    let index: Int
    let serial: Int

    var codingPath: [any CodingKey] { state.codingPath(upTo: index < 0 ? state.frames.count : index) }
    var userInfo: [CodingUserInfoKey: Any] { state.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let (index, serial) = state.container(of: index, serial, kind: .keyed)
        return KeyedEncodingContainer(KeyedEncoding<Key>(state: state, index: index, serial: serial))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let (index, serial) = state.container(of: index, serial, kind: .unkeyed)
        return UnkeyedEncoding(state: state, index: index, serial: serial)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    mutating func encodeNil() throws {
        _ = try state.beginSingle(index, serial)
        state.bytes.append(BinaryTag.null)
    }

    mutating func encode(_ value: Bool) throws { try scalar(value) }
    mutating func encode(_ value: String) throws { try scalar(value) }
    mutating func encode(_ value: Double) throws { try scalar(value) }
    mutating func encode(_ value: Float) throws { try scalar(value) }
    mutating func encode(_ value: Int) throws { try scalar(value) }
    mutating func encode(_ value: Int8) throws { try scalar(value) }
    mutating func encode(_ value: Int16) throws { try scalar(value) }
    mutating func encode(_ value: Int32) throws { try scalar(value) }
    mutating func encode(_ value: Int64) throws { try scalar(value) }
    mutating func encode(_ value: UInt) throws { try scalar(value) }
    mutating func encode(_ value: UInt8) throws { try scalar(value) }
    mutating func encode(_ value: UInt16) throws { try scalar(value) }
    mutating func encode(_ value: UInt32) throws { try scalar(value) }
    mutating func encode(_ value: UInt64) throws { try scalar(value) }
    mutating func encode(_ value: Int128) throws { try scalar(value) }
    mutating func encode(_ value: UInt128) throws { try scalar(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let depth = try state.beginSingle(index, serial)
        do {
            try state.encodeValue(value, depth: depth + 1)
        } catch {
            state.abandonSingle(index, serial)
            throw error
        }
    }

    private func scalar(_ value: some BinaryScalar) throws {
        _ = try state.beginSingle(index, serial)
        value.encodeBinary(into: state)
    }
}

struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: EncodingState
    let index: Int
    let serial: Int

    var codingPath: [any CodingKey] { state.codingPath(upTo: index < 0 ? state.frames.count : index) }

    mutating func encodeNil(forKey key: Key) throws {
        try state.beginEntry(index, serial)
        state.writeKey(key)
        state.bytes.append(BinaryTag.null)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try scalar(value, key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try scalar(value, key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let depth = try state.beginEntry(index, serial)
        state.writeKey(key)
        do {
            try state.encodeValue(value, depth: depth + 1)
        } catch {
            state.abandonEntry(index, serial)
            throw error
        }
    }

    private func scalar(_ value: some BinaryScalar, _ key: Key) throws {
        try state.beginEntry(index, serial)
        state.writeKey(key)
        value.encodeBinary(into: state)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let (index, serial) = state.nestedContainer(in: index, serial, key: key, kind: .keyed)
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(state: state, index: index, serial: serial))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let (index, serial) = state.nestedContainer(in: index, serial, key: key, kind: .unkeyed)
        return UnkeyedEncoding(state: state, index: index, serial: serial)
    }

    mutating func superEncoder() -> any Encoder {
        state.nestedEncoder(in: index, serial, key: BinaryCodingKey.super)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        state.nestedEncoder(in: index, serial, key: key)
    }
}

struct UnkeyedEncoding: UnkeyedEncodingContainer {
    let state: EncodingState
    let index: Int
    let serial: Int

    var codingPath: [any CodingKey] { state.codingPath(upTo: index < 0 ? state.frames.count : index) }
    var count: Int { state.count(of: index, serial) }

    mutating func encodeNil() throws {
        try state.beginEntry(index, serial)
        state.bytes.append(BinaryTag.null)
    }

    mutating func encode(_ value: Bool) throws { try scalar(value) }
    mutating func encode(_ value: String) throws { try scalar(value) }
    mutating func encode(_ value: Double) throws { try scalar(value) }
    mutating func encode(_ value: Float) throws { try scalar(value) }
    mutating func encode(_ value: Int) throws { try scalar(value) }
    mutating func encode(_ value: Int8) throws { try scalar(value) }
    mutating func encode(_ value: Int16) throws { try scalar(value) }
    mutating func encode(_ value: Int32) throws { try scalar(value) }
    mutating func encode(_ value: Int64) throws { try scalar(value) }
    mutating func encode(_ value: UInt) throws { try scalar(value) }
    mutating func encode(_ value: UInt8) throws { try scalar(value) }
    mutating func encode(_ value: UInt16) throws { try scalar(value) }
    mutating func encode(_ value: UInt32) throws { try scalar(value) }
    mutating func encode(_ value: UInt64) throws { try scalar(value) }
    mutating func encode(_ value: Int128) throws { try scalar(value) }
    mutating func encode(_ value: UInt128) throws { try scalar(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let depth = try state.beginEntry(index, serial)
        do {
            try state.encodeValue(value, depth: depth + 1)
        } catch {
            state.abandonEntry(index, serial)
            throw error
        }
    }

    private func scalar(_ value: some BinaryScalar) throws {
        try state.beginEntry(index, serial)
        value.encodeBinary(into: state)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (index, serial) = state.nestedContainer(in: index, serial, key: BinaryCodingKey?.none, kind: .keyed)
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(state: state, index: index, serial: serial))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (index, serial) = state.nestedContainer(in: index, serial, key: BinaryCodingKey?.none, kind: .unkeyed)
        return UnkeyedEncoding(state: state, index: index, serial: serial)
    }

    mutating func superEncoder() -> any Encoder {
        state.nestedEncoder(in: index, serial, key: BinaryCodingKey?.none)
    }
}

// MARK: - Decoding

/// One decoding: the input, which the containers read in place.
///
/// Decoding builds nothing per value: a decoder is an offset, a keyed
/// container the range of its entries. A key is found by scanning entries,
/// skipping each value by its length; the scan starts after the entry found
/// last in the same container, so reading keys in the order they were
/// written finds each at once. Coding paths are worked out from the offsets
/// only when asked for (errors, `codingPath`).
final class DecodingState {
    private struct Storage {
        var count: Int
        var cursors: [(container: Int, next: Int)] = []
        var walkingPath = false
    }

    // Behind a pointer, as in `EncodingState`, to spare run-time exclusivity
    // checks.
    private let storage: UnsafeMutablePointer<Storage>
    let base: UnsafeRawPointer

    /// The input's length; 0 once the decoding is over.
    var count: Int {
        get { storage.pointee.count }
        set { storage.pointee.count = newValue }
    }

    /// Per depth, the keyed container searched last there and where to go
    /// on searching it.
    private var cursors: [(container: Int, next: Int)] {
        _read { yield storage.pointee.cursors }
        _modify { yield &storage.pointee.cursors }
    }

    private var walkingPath: Bool {
        get { storage.pointee.walkingPath }
        set { storage.pointee.walkingPath = newValue }
    }

    let maximumDepth: Int
    private let sendableUserInfo: [CodingUserInfoKey: any Sendable]
    lazy var userInfo: [CodingUserInfoKey: Any] = sendableUserInfo.isEmpty ? [:] : sendableUserInfo.mapValues { $0 }

    init(base: UnsafeRawPointer, count: Int, userInfo: [CodingUserInfoKey: any Sendable], maximumDepth: Int) {
        self.base = base
        sendableUserInfo = userInfo
        self.maximumDepth = maximumDepth
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage(count: count))
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    // Reading. Every read checks `limit`, which callers keep within the
    // enclosing container, and `count`.

    func tag(at offset: Int, limit: Int) throws -> UInt8 {
        guard offset >= 0, offset < limit, limit <= count else { throw truncated(at: offset) }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    func readFixed<I: FixedWidthInteger>(_ type: I.Type, at offset: Int, limit: Int) throws -> I {
        guard offset >= 0, limit <= count, limit - offset >= MemoryLayout<I>.size else { throw truncated(at: offset) }
        return I(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: I.self))
    }

    func readVarint(_ position: inout Int, limit: Int) throws -> UInt64 {
        guard limit <= count else { throw truncated(at: position) }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position >= 0, position < limit else { throw truncated(at: position) }
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            position += 1
            if shift == 63, byte > 1 { throw corrupted(at: position - 1, "A varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint length and that many bytes within `limit`: the bytes' range.
    func readLength(_ position: inout Int, limit: Int) throws -> Range<Int> {
        let start = position
        let length = try readVarint(&position, limit: limit)
        guard length <= UInt64(limit - position) else {
            throw corrupted(at: start, "A length of \(length) runs past its container")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    func readText(_ position: inout Int, limit: Int) throws -> String {
        let start = position
        let range = try readLength(&position, limit: limit)
        let utf8 = UnsafeBufferPointer(start: (base + range.lowerBound).assumingMemoryBound(to: UInt8.self), count: range.count)
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw corrupted(at: start, "A string is not valid UTF-8")
        }
        return string
    }

    func readInteger<I: FixedWidthInteger>(_ type: I.Type, at offset: Int, limit: Int) throws -> (value: I, end: Int) {
        let tag = try tag(at: offset, limit: limit)
        var position = offset + 1
        let result: I?
        switch tag {
        case BinaryTag.signed:
            let zigzag = try readVarint(&position, limit: limit)
            let value = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
            result = I(exactly: value)
            if result == nil { throw corrupted(at: offset, "Number \(value) does not fit in \(I.self).") }
        case BinaryTag.unsigned:
            let value = try readVarint(&position, limit: limit)
            result = I(exactly: value)
            if result == nil { throw corrupted(at: offset, "Number \(value) does not fit in \(I.self).") }
        case BinaryTag.signed128:
            let value = Int128(bitPattern: try readFixed(UInt128.self, at: position, limit: limit))
            position += 16
            result = I(exactly: value)
            if result == nil { throw corrupted(at: offset, "Number \(value) does not fit in \(I.self).") }
        case BinaryTag.unsigned128:
            let value = try readFixed(UInt128.self, at: position, limit: limit)
            position += 16
            result = I(exactly: value)
            if result == nil { throw corrupted(at: offset, "Number \(value) does not fit in \(I.self).") }
        default:
            throw mismatch(I.self, tag: tag, at: offset)
        }
        return (result!, position)
    }

    /// The offset after the value at `offset`, which must end by `limit`.
    /// Constant time for containers (their header holds their length).
    func skip(at offset: Int, limit: Int) throws -> Int {
        let tag = try tag(at: offset, limit: limit)
        let size: Int
        switch tag {
        case BinaryTag.null, BinaryTag.falseValue, BinaryTag.trueValue:
            return offset + 1
        case BinaryTag.signed, BinaryTag.unsigned:
            var position = offset + 1
            _ = try readVarint(&position, limit: limit)
            return position
        case BinaryTag.string:
            var position = offset + 1
            return try readLength(&position, limit: limit).upperBound
        case BinaryTag.float: size = 5
        case BinaryTag.double: size = 9
        case BinaryTag.signed128, BinaryTag.unsigned128: size = 17
        case BinaryTag.keyed, BinaryTag.unkeyed:
            let length = try readFixed(UInt32.self, at: offset + 1, limit: limit)
            guard limit - offset - BinaryTag.containerHeader >= Int(length) else {
                throw corrupted(at: offset, "A container's length of \(length) runs past its enclosing container")
            }
            return offset + BinaryTag.containerHeader + Int(length)
        default:
            throw corrupted(at: offset, "Unknown tag 0x\(String(tag, radix: 16))")
        }
        guard limit - offset >= size else { throw truncated(at: offset) }
        return offset + size
    }

    /// Decodes a `T` from the value at `offset`, which ends by `limit`.
    func decodeValue<T: Decodable>(_ type: T.Type, at offset: Int, limit: Int, depth: Int) throws -> T {
        if T.self == Int.self { return unsafeBitCast(try Int.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == String.self { return unsafeBitCast(try String.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try Double.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try Bool.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Float.self { return unsafeBitCast(try Float.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try Int64.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try UInt64.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try Int32.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try UInt32.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Int16.self { return unsafeBitCast(try Int16.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == UInt16.self { return unsafeBitCast(try UInt16.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Int8.self { return unsafeBitCast(try Int8.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try UInt8.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try UInt.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == Int128.self { return unsafeBitCast(try Int128.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        if T.self == UInt128.self { return unsafeBitCast(try UInt128.decodeBinary(from: self, at: offset, limit: limit).value, to: T.self) }
        guard depth <= maximumDepth else {
            throw corrupted(at: offset, "The input is nested more than \(maximumDepth) levels deep")
        }
        return try T(from: ValueDecoder(state: self, offset: offset, depth: depth))
    }

    /// The container at `offset`: the range of its entries and its count.
    func container(at offset: Int, keyed: Bool, expected: Any.Type) throws -> (entries: Range<Int>, count: Int) {
        let tag = try tag(at: offset, limit: count)
        guard tag == (keyed ? BinaryTag.keyed : BinaryTag.unkeyed) else {
            let description = "Expected to decode \(keyed ? "Dictionary<String, Any>" : "Array<Any>") but found \(BinaryTag.describe(tag)) instead."
            if tag == BinaryTag.null {
                throw DecodingError.valueNotFound(expected, .init(
                    codingPath: path(to: offset),
                    debugDescription: "Cannot get \(keyed ? "keyed" : "unkeyed") decoding container -- found null value instead"
                ))
            }
            throw DecodingError.typeMismatch(keyed ? [String: Any].self : [Any].self, .init(codingPath: path(to: offset), debugDescription: description))
        }
        let end = try skip(at: offset, limit: count)
        let entries = (offset + BinaryTag.containerHeader)..<end
        let count = Int(try readFixed(UInt32.self, at: offset + 5, limit: end))
        // Each entry takes at least a byte (a key length and a tag for keyed
        // ones), so a larger count is garbage.
        guard count <= entries.count / (keyed ? 2 : 1) else {
            throw corrupted(at: offset, "A container claims \(count) entries in \(entries.count) bytes")
        }
        return (entries, count)
    }

    /// The offset of the value under `key` in the keyed container whose
    /// entries are `entries`, or `nil`.
    func find(_ key: UnsafeBufferPointer<UInt8>, in entries: Range<Int>, depth: Int) throws -> Int? {
        guard entries.upperBound <= count else { throw truncated(at: entries.lowerBound) }
        var resume = entries.lowerBound
        if depth < cursors.count, cursors[depth].container == entries.lowerBound {
            resume = cursors[depth].next
        }
        if let found = try scan(for: key, from: resume, to: entries.upperBound, in: entries, depth: depth) {
            return found
        }
        if resume != entries.lowerBound {
            return try scan(for: key, from: entries.lowerBound, to: resume, in: entries, depth: depth)
        }
        return nil
    }

    private func scan(for key: UnsafeBufferPointer<UInt8>, from start: Int, to stop: Int, in entries: Range<Int>, depth: Int) throws -> Int? {
        let limit = entries.upperBound
        var position = start
        while position < stop {
            let name = try readLength(&position, limit: limit)
            let value = position
            position = try skip(at: value, limit: limit)
            if name.count == key.count, matches(key, at: name.lowerBound) {
                if depth >= cursors.count {
                    cursors.append(contentsOf: repeatElement((container: -1, next: 0), count: depth + 1 - cursors.count))
                }
                cursors[depth] = (entries.lowerBound, position)
                return value
            }
        }
        return nil
    }

    private func matches(_ key: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var index = 0
        while index < key.count {
            if key[index] != base.load(fromByteOffset: offset + index, as: UInt8.self) { return false }
            index += 1
        }
        return true
    }

    /// The keys of a keyed container's entries, as far as they can be read.
    func keys(in entries: Range<Int>) -> [String] {
        var keys: [String] = []
        var position = entries.lowerBound
        while position < entries.upperBound, entries.upperBound <= count {
            guard let key = try? readText(&position, limit: entries.upperBound),
                  let end = try? skip(at: position, limit: entries.upperBound) else { break }
            keys.append(key)
            position = end
        }
        return keys
    }

    // Errors.

    /// The coding path to the value that contains `target`, worked out by
    /// walking from the top-level value: only errors and `codingPath` pay.
    func path(to target: Int) -> [any CodingKey] {
        // The walk's own failures build errors too; they need no path.
        if walkingPath { return [] }
        walkingPath = true
        defer { walkingPath = false }
        var path: [any CodingKey] = []
        var offset = 0
        walk: while offset < target, offset < count {
            let tag = base.load(fromByteOffset: offset, as: UInt8.self)
            guard tag == BinaryTag.keyed || tag == BinaryTag.unkeyed,
                  let end = try? skip(at: offset, limit: count) else { break }
            var position = offset + BinaryTag.containerHeader
            var index = 0
            while position < end, position <= target {
                let key: any CodingKey
                if tag == BinaryTag.keyed {
                    guard let name = try? readText(&position, limit: end) else { break walk }
                    key = BinaryCodingKey(stringValue: name)
                } else {
                    key = BinaryCodingKey(index: index)
                }
                let value = position
                guard let next = try? skip(at: value, limit: end) else {
                    if target >= value { path.append(key) }
                    break walk
                }
                if target >= value, target < next {
                    path.append(key)
                    offset = value
                    continue walk
                }
                position = next
                index += 1
            }
            break
        }
        return path
    }

    func truncated(at offset: Int) -> DecodingError {
        if count == 0 {
            return DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "A decoder or container was used after decoding finished."))
        }
        return corrupted(at: offset, "The input ends inside a value")
    }

    func corrupted(at offset: Int, _ description: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: path(to: offset), debugDescription: "\(description) (at byte \(offset))."))
    }

    func mismatch(_ type: Any.Type, tag: UInt8, at offset: Int) -> DecodingError {
        if tag == BinaryTag.null {
            return DecodingError.valueNotFound(type, .init(codingPath: path(to: offset), debugDescription: "Expected \(type) value but found null instead."))
        }
        if BinaryTag.describe(tag).hasPrefix("unknown") {
            return corrupted(at: offset, "Unknown tag 0x\(String(tag, radix: 16))")
        }
        return DecodingError.typeMismatch(type, .init(codingPath: path(to: offset), debugDescription: "Expected to decode \(type) but found \(BinaryTag.describe(tag)) instead."))
    }
}

struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let state: DecodingState
    let offset: Int
    let depth: Int

    var codingPath: [any CodingKey] { state.path(to: offset) }
    var userInfo: [CodingUserInfoKey: Any] { state.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let (entries, _) = try state.container(at: offset, keyed: true, expected: KeyedDecodingContainer<Key>.self)
        return KeyedDecodingContainer(KeyedDecoding<Key>(state: state, header: offset, entries: entries, depth: depth))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (entries, count) = try state.container(at: offset, keyed: false, expected: (any UnkeyedDecodingContainer).self)
        return UnkeyedDecoding(state: state, header: offset, entries: entries, depth: depth, count: count)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool {
        (try? state.tag(at: offset, limit: state.count)) == BinaryTag.null
    }

    func decode(_ type: Bool.Type) throws -> Bool { try scalar() }
    func decode(_ type: String.Type) throws -> String { try scalar() }
    func decode(_ type: Double.Type) throws -> Double { try scalar() }
    func decode(_ type: Float.Type) throws -> Float { try scalar() }
    func decode(_ type: Int.Type) throws -> Int { try scalar() }
    func decode(_ type: Int8.Type) throws -> Int8 { try scalar() }
    func decode(_ type: Int16.Type) throws -> Int16 { try scalar() }
    func decode(_ type: Int32.Type) throws -> Int32 { try scalar() }
    func decode(_ type: Int64.Type) throws -> Int64 { try scalar() }
    func decode(_ type: UInt.Type) throws -> UInt { try scalar() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar() }
    func decode(_ type: Int128.Type) throws -> Int128 { try scalar() }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try scalar() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try state.decodeValue(type, at: offset, limit: state.count, depth: depth + 1)
    }

    private func scalar<S: BinaryScalar>() throws -> S {
        try S.decodeBinary(from: state, at: offset, limit: state.count).value
    }
}

struct KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: DecodingState
    let header: Int
    let entries: Range<Int>
    let depth: Int

    var codingPath: [any CodingKey] { state.path(to: header) }

    var allKeys: [Key] { state.keys(in: entries).compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { ((try? find(key)) ?? nil) != nil }

    private func find(_ key: Key) throws -> Int? {
        try find(key.stringValue)
    }

    private func find(_ name: String) throws -> Int? {
        var name = name
        return try name.withUTF8 { try state.find($0, in: entries, depth: depth) }
    }

    private func require(_ key: some CodingKey) throws -> Int {
        guard let offset = try find(key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(
                codingPath: state.path(to: header),
                debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."
            ))
        }
        return offset
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try state.tag(at: try require(key), limit: entries.upperBound) == BinaryTag.null
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try scalarIfPresent(key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try scalarIfPresent(key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try scalarIfPresent(key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try scalarIfPresent(key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try scalarIfPresent(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try scalarIfPresent(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try scalarIfPresent(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try scalarIfPresent(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try scalarIfPresent(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try scalarIfPresent(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try scalarIfPresent(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try scalarIfPresent(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try scalarIfPresent(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try scalarIfPresent(key) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try scalar(key) }
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try scalarIfPresent(key) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try scalar(key) }
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try scalarIfPresent(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try state.decodeValue(type, at: try require(key), limit: entries.upperBound, depth: depth + 1)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let offset = try find(key), try state.tag(at: offset, limit: entries.upperBound) != BinaryTag.null else { return nil }
        return try state.decodeValue(type, at: offset, limit: entries.upperBound, depth: depth + 1)
    }

    private func scalar<S: BinaryScalar>(_ key: Key) throws -> S {
        try S.decodeBinary(from: state, at: try require(key), limit: entries.upperBound).value
    }

    private func scalarIfPresent<S: BinaryScalar>(_ key: Key) throws -> S? {
        guard let offset = try find(key), try state.tag(at: offset, limit: entries.upperBound) != BinaryTag.null else { return nil }
        return try S.decodeBinary(from: state, at: offset, limit: entries.upperBound).value
    }

    private func nested(_ key: some CodingKey) throws -> ValueDecoder {
        let offset = try require(key)
        guard depth < state.maximumDepth else {
            throw state.corrupted(at: offset, "The input is nested more than \(state.maximumDepth) levels deep")
        }
        return ValueDecoder(state: state, offset: offset, depth: depth + 1)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try nested(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try nested(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try nested(BinaryCodingKey.super) }

    func superDecoder(forKey key: Key) throws -> any Decoder { try nested(key) }
}

struct UnkeyedDecoding: UnkeyedDecodingContainer {
    let state: DecodingState
    let header: Int
    let entries: Range<Int>
    let depth: Int
    let total: Int
    private(set) var currentIndex = 0
    private var position: Int

    init(state: DecodingState, header: Int, entries: Range<Int>, depth: Int, count: Int) {
        self.state = state
        self.header = header
        self.entries = entries
        self.depth = depth
        total = count
        position = entries.lowerBound
    }

    var codingPath: [any CodingKey] { state.path(to: header) }
    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total }

    private func checkNotAtEnd(_ type: Any.Type) throws {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(
                codingPath: state.path(to: header) + [BinaryCodingKey(index: currentIndex)],
                debugDescription: "Unkeyed container is at end."
            ))
        }
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd(Any?.self)
        guard try state.tag(at: position, limit: entries.upperBound) == BinaryTag.null else { return false }
        position += 1
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar() }
    mutating func decode(_ type: String.Type) throws -> String { try scalar() }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar() }
    mutating func decode(_ type: Float.Type) throws -> Float { try scalar() }
    mutating func decode(_ type: Int.Type) throws -> Int { try scalar() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try scalar() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try scalar() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try scalar() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try scalar() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try scalar() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar() }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try scalar() }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try scalar() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd(type)
        let end = try state.skip(at: position, limit: entries.upperBound)
        let value = try state.decodeValue(type, at: position, limit: end, depth: depth + 1)
        position = end
        currentIndex += 1
        return value
    }

    private mutating func scalar<S: BinaryScalar>() throws -> S {
        try checkNotAtEnd(S.self)
        let (value, end) = try S.decodeBinary(from: state, at: position, limit: entries.upperBound)
        position = end
        currentIndex += 1
        return value
    }

    private mutating func nested() throws -> ValueDecoder {
        try checkNotAtEnd(Any.self)
        let end = try state.skip(at: position, limit: entries.upperBound)
        guard depth < state.maximumDepth else {
            throw state.corrupted(at: position, "The input is nested more than \(state.maximumDepth) levels deep")
        }
        let decoder = ValueDecoder(state: state, offset: position, depth: depth + 1)
        position = end
        currentIndex += 1
        return decoder
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try checkNotAtEnd(KeyedDecodingContainer<NestedKey>.self)
        let container = try ValueDecoder(state: state, offset: position, depth: depth + 1).container(keyedBy: type)
        _ = try nested()
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd((any UnkeyedDecodingContainer).self)
        let container = try ValueDecoder(state: state, offset: position, depth: depth + 1).unkeyedContainer()
        _ = try nested()
        return container
    }

    mutating func superDecoder() throws -> any Decoder { try nested() }
}

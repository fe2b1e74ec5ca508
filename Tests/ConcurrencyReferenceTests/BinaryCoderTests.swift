import ConcurrencyConformance
import ConcurrencyWorker
import Foundation
import Testing

/// The process pool's binary coder: round trips of everything Codable
/// models, errors with useful paths, and input from a broken worker (cut
/// short, garbled, absurdly nested) that must throw and never crash.
@Suite("Binary coder")
struct BinaryCoderTests {
    struct Echo: Codable, Equatable { var value: Int }

    struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
    }

    enum Shape: Codable, Equatable {
        case empty
        case circle(Double)
        case rect(width: Int, height: Int)
        case labelled(String, inner: Inner)
        case recursive([Shape])
    }

    enum Colour: String, Codable { case red, green }

    struct Everything: Codable, Equatable {
        var int = Int.min
        var int8 = Int8.min
        var int16 = Int16.max
        var int32 = Int32.min
        var int64 = Int64.max
        var uint = UInt.max
        var uint8 = UInt8.max
        var uint16: UInt16 = 7
        var uint32 = UInt32.max
        var uint64 = UInt64.max
        var int128 = Int128.min
        var uint128 = UInt128.max
        var yes = true
        var no = false
        var float: Float = -1.5
        var double = Double.pi
        var infinity = -Double.infinity
        var text = "héllo, 世界 🎉"
        var empty = ""
        var some: Int? = 42
        var none: String? = nil
        var optionals: [Int?] = [1, nil, 3]
        var numbers = [1, -2, 300, Int.max]
        var nested = [[1], [], [2, 3]]
        var byName = ["a": 1, "b": 2]
        var byNumber = [1: "one", -7: "minus seven"]
        var byColour: [Colour: Int] = [.red: 1, .green: 2]
        var inner = Inner(name: "in", tags: ["x", "y"])
        var shapes: [Shape] = [.empty, .circle(2), .rect(width: 3, height: 4), .labelled("l", inner: Inner(name: "n", tags: [])), .recursive([.empty, .recursive([])])]
        var colour = Colour.green
        var echoes = [Echo(value: 1), Echo(value: -1)]
    }

    // A key order for encoding that differs from the declaration order the
    // synthesized decoder reads in.
    struct Reversed: Codable, Equatable {
        var a: Int
        var b: String
        var c: [Int]
        var d: Bool

        enum CodingKeys: String, CodingKey { case a, b, c, d }

        init(a: Int, b: String, c: [Int], d: Bool) {
            self.a = a
            self.b = b
            self.c = c
            self.d = d
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(d, forKey: .d)
            try container.encode(c, forKey: .c)
            try container.encode(b, forKey: .b)
            try container.encode(a, forKey: .a)
        }
    }

    class Base: Codable {
        var base: Int
        init(base: Int) { self.base = base }
    }

    final class Derived: Base, @unchecked Sendable {
        var derived: String
        enum CodingKeys: String, CodingKey { case derived }

        init(base: Int, derived: String) {
            self.derived = derived
            super.init(base: base)
        }

        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            derived = try container.decode(String.self, forKey: .derived)
            try super.init(from: container.superDecoder())
        }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try super.encode(to: container.superEncoder())
            try container.encode(derived, forKey: .derived)
        }
    }

    /// Exercises the container API by hand: nested containers, counts,
    /// `contains`, `allKeys`, `decodeNil`, custom super keys.
    struct Manual: Codable, Equatable {
        var point: (x: Int, y: Int)
        var list: [Double]
        var flag: Bool?
        var extra: Int
        var keys: [String] = []

        enum Keys: String, CodingKey { case point, list, flag, extra, custom }
        enum PointKeys: String, CodingKey { case x, y }

        init(point: (x: Int, y: Int), list: [Double], flag: Bool?, extra: Int) {
            self.point = point
            self.list = list
            self.flag = flag
            self.extra = extra
        }

        static func == (lhs: Manual, rhs: Manual) -> Bool {
            lhs.point == rhs.point && lhs.list == rhs.list && lhs.flag == rhs.flag && lhs.extra == rhs.extra
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var point = container.nestedContainer(keyedBy: PointKeys.self, forKey: .point)
            try point.encode(self.point.x, forKey: .x)
            try point.encode(self.point.y, forKey: .y)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            for value in self.list { try list.encode(value) }
            try list.encodeNil()
            if let flag { try container.encode(flag, forKey: .flag) } else { try container.encodeNil(forKey: .flag) }
            var custom = container.superEncoder(forKey: .custom).singleValueContainer()
            try custom.encode(extra)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            keys = container.allKeys.map(\.stringValue)
            let point = try container.nestedContainer(keyedBy: PointKeys.self, forKey: .point)
            self.point = (try point.decode(Int.self, forKey: .x), try point.decode(Int.self, forKey: .y))
            var list = try container.nestedUnkeyedContainer(forKey: .list)
            var values: [Double] = []
            let expected = list.count ?? -1
            while !list.isAtEnd {
                if try list.decodeNil() { continue }
                values.append(try list.decode(Double.self))
            }
            guard expected == values.count + 1, list.currentIndex == expected else {
                throw DecodingError.dataCorrupted(.init(codingPath: list.codingPath, debugDescription: "count \(expected)"))
            }
            self.list = values
            flag = try container.decodeNil(forKey: .flag) ? nil : try container.decode(Bool.self, forKey: .flag)
            guard container.contains(.custom), !container.contains(.extra) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "contains"))
            }
            extra = try container.superDecoder(forKey: .custom).singleValueContainer().decode(Int.self)
        }
    }

    private func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        let bytes = try BinaryEncoder().encode(value)
        let back = try BinaryDecoder().decode(T.self, from: bytes)
        #expect(back == value)
        return back
    }

    // MARK: Round trips

    @Test func scalarsAtTheTopLevel() throws {
        _ = try roundTrip(0)
        _ = try roundTrip(Int.min)
        _ = try roundTrip(UInt64.max)
        _ = try roundTrip(Int128.max)
        _ = try roundTrip("")
        _ = try roundTrip(true)
        _ = try roundTrip(Float.greatestFiniteMagnitude)
        _ = try roundTrip(Double.leastNonzeroMagnitude)
        _ = try roundTrip(Int?.none)
        _ = try roundTrip([Int]())
        _ = try roundTrip([String: Int]())
        let nan = try BinaryDecoder().decode(Double.self, from: BinaryEncoder().encode(Double.nan))
        #expect(nan.isNaN)
        let floats = try BinaryDecoder().decode([Float].self, from: BinaryEncoder().encode([Float.nan, .infinity, -.infinity, -0.0]))
        #expect(floats[0].isNaN && floats[1] == .infinity && floats[2] == -.infinity && floats[3].sign == .minus)
    }

    @Test func everythingCodableModels() throws {
        _ = try roundTrip(Everything())
        _ = try roundTrip([Everything(), Everything()])
        _ = try roundTrip(["x": [Everything()]])
    }

    @Test func integersDecodeIntoAnyTypeTheyFit() throws {
        let bytes = try BinaryEncoder().encode([Int64(200), -3, 70_000])
        #expect(try BinaryDecoder().decode([Int32].self, from: bytes) == [200, -3, 70_000])
        #expect(try BinaryDecoder().decode(UInt8.self, from: BinaryEncoder().encode(Int128(255))) == 255)
        #expect(try BinaryDecoder().decode(Int128.self, from: BinaryEncoder().encode(UInt64.max)) == Int128(UInt64.max))
        #expect(try BinaryDecoder().decode(Double.self, from: BinaryEncoder().encode(Float(0.5))) == 0.5)
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(UInt8.self, from: BinaryEncoder().encode(256)) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(UInt.self, from: BinaryEncoder().encode(-1)) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Float.self, from: BinaryEncoder().encode(1e300)) }
    }

    @Test func keysInAnotherOrderThanDecodingReadsThem() throws {
        _ = try roundTrip(Reversed(a: 1, b: "two", c: [3], d: true))
        _ = try roundTrip([Reversed(a: 1, b: "x", c: [], d: false), Reversed(a: 2, b: "y", c: [1, 2], d: true)])
    }

    @Test func handBuiltBytesWithKeysOutOfOrder() throws {
        // {"b": "B", "a": 5} written by hand: tag, length, count, entries.
        let entries: [UInt8] = [1, 0x62, 0x07, 1, 0x42] + [1, 0x61, 0x03, 0x0A]
        let bytes: [UInt8] = [0x08, UInt8(entries.count), 0, 0, 0, 2, 0, 0, 0] + entries
        struct AB: Codable, Equatable { var a: Int; var b: String }
        #expect(try BinaryDecoder().decode(AB.self, from: bytes) == AB(a: 5, b: "B"))
        // And the encoder writes exactly this format.
        #expect(try BinaryEncoder().encode(Echo(value: 5)) == [0x08, 8, 0, 0, 0, 1, 0, 0, 0, 5, 0x76, 0x61, 0x6C, 0x75, 0x65, 0x03, 0x0A])
    }

    @Test func superEncoderAndClassHierarchies() throws {
        let bytes = try BinaryEncoder().encode(Derived(base: 7, derived: "d"))
        let back = try BinaryDecoder().decode(Derived.self, from: bytes)
        #expect(back.base == 7 && back.derived == "d")
    }

    @Test func containersByHand() throws {
        let value = Manual(point: (3, -4), list: [1.5, 2.5], flag: nil, extra: 9)
        let back = try roundTrip(value)
        #expect(back.keys == ["point", "list", "flag", "custom"])
        _ = try roundTrip(Manual(point: (0, 0), list: [], flag: true, extra: 0))
    }

    @Test func optionalsAbsentAndNull() throws {
        struct Opt: Codable, Equatable { var a: Int?; var b: [Int?]?; var c: Echo? }
        _ = try roundTrip(Opt(a: nil, b: nil, c: nil))
        _ = try roundTrip(Opt(a: 1, b: [nil], c: Echo(value: 2)))
        // A null where a non-optional is expected is valueNotFound.
        struct Required: Codable { var a: Int }
        let bytes = try BinaryEncoder().encode(["a": Int?.none])
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Required.self, from: bytes) }
    }

    @Test func userInfoReachesTheValues() throws {
        struct Reader: Codable {
            static let key = CodingUserInfoKey(rawValue: "k")!
            var seen: String?
            init() {}
            init(from decoder: any Decoder) throws { seen = decoder.userInfo[Self.key] as? String }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(encoder.userInfo[Self.key] as? String ?? "none")
            }
        }
        var encoder = BinaryEncoder()
        encoder.userInfo[Reader.key] = "enc"
        var decoder = BinaryDecoder()
        decoder.userInfo[Reader.key] = "dec"
        let bytes = try encoder.encode(Reader())
        #expect(try BinaryDecoder().decode(String.self, from: bytes) == "enc")
        #expect(try decoder.decode(Reader.self, from: bytes).seen == "dec")
    }

    @Test func appendingAndSlices() throws {
        var buffer: [UInt8] = [0xFF, 0xFE]
        try BinaryEncoder().encode([Echo(value: 1)], appendingTo: &buffer)
        #expect(try BinaryDecoder().decode([Echo].self, from: buffer[2...]) == [Echo(value: 1)])
        struct Failing: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, .init(codingPath: encoder.codingPath, debugDescription: "no"))
            }
        }
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode([Failing()], appendingTo: &buffer) }
        #expect(buffer.count == 2 + (try BinaryEncoder().encode([Echo(value: 1)])).count)
    }

    // MARK: Errors

    @Test func missingKeyNamesTheKeyAndPath() throws {
        struct Wide: Codable { var inner: [String: Int] }
        struct Narrow: Codable { var inner: Echo }
        let bytes = try BinaryEncoder().encode(Wide(inner: ["other": 1]))
        do {
            _ = try BinaryDecoder().decode(Narrow.self, from: bytes)
            Issue.record("decoded a missing key")
        } catch let DecodingError.keyNotFound(key, context) {
            #expect(key.stringValue == "value")
            #expect(context.codingPath.map(\.stringValue) == ["inner"])
        }
    }

    @Test func typeMismatchNamesThePath() throws {
        struct Text: Codable { var value: String }
        struct Outer<T: Codable>: Codable { var list: [T] }
        let bytes = try BinaryEncoder().encode(Outer(list: [Echo(value: 1), Echo(value: 2)]))
        do {
            _ = try BinaryDecoder().decode(Outer<Text>.self, from: bytes)
            Issue.record("decoded an Int as a String")
        } catch let DecodingError.typeMismatch(type, context) {
            #expect(ObjectIdentifier(type) == ObjectIdentifier(String.self))
            #expect(context.codingPath.map(\.stringValue) == ["list", "Index 0", "value"])
            #expect(context.debugDescription.contains("an integer"))
        }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode([Int].self, from: BinaryEncoder().encode(Echo(value: 1))) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Echo.self, from: BinaryEncoder().encode([1])) }
    }

    @Test func encoderCodingPathAndMisuse() throws {
        struct PathProbe: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, .init(codingPath: encoder.codingPath, debugDescription: "probe"))
            }
        }
        struct Holder: Encodable { var list: [Int: PathProbe] }
        do {
            _ = try BinaryEncoder().encode(["outer": [Holder(list: [3: PathProbe()])]])
            Issue.record("no error")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["outer", "Index 0", "list", "3"])
        }
        struct TwoValues: Encodable {
            func encode(to encoder: any Encoder) throws {
                var single = encoder.singleValueContainer()
                try single.encode(1)
                var keyed = encoder.container(keyedBy: BinaryCoderTests.Manual.Keys.self)
                try keyed.encode(2, forKey: .extra)
            }
        }
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(TwoValues()) }
    }

    /// A value whose encoding throws and is caught by its container's owner
    /// leaves no half-written entry behind.
    @Test func caughtErrorsLeaveNoHalfEntry() throws {
        struct Bad: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                try container.encode(1)
                throw EncodingError.invalidValue(0, .init(codingPath: [], debugDescription: "bad"))
            }
        }
        struct Tolerant: Encodable {
            enum CodingKeys: String, CodingKey { case a, value }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try? container.encode(Bad(), forKey: .a)
                try container.encode(5, forKey: .value)
            }
        }
        let bytes = try BinaryEncoder().encode(Tolerant())
        #expect(try BinaryDecoder().decode(Echo.self, from: bytes) == Echo(value: 5))
        #expect(try BinaryDecoder().decode([String: Int].self, from: bytes) == ["value": 5])
    }

    // MARK: Hostile input

    private func sample() throws -> [UInt8] {
        try BinaryEncoder().encode(Everything())
    }

    @Test func everyTruncationThrows() async throws {
        let bytes = try sample()
        let decodedAnyway = try await offThePool { () -> [Int] in
            var decoded: [Int] = []
            for length in 0...bytes.count {
                let input = length == bytes.count ? bytes + [0] : Array(bytes[..<length])
                if (try? BinaryDecoder().decode(Everything.self, from: input)) != nil { decoded.append(length) }
            }
            return decoded
        }
        #expect(decodedAnyway.isEmpty, "lengths that decoded (the last is the sample plus one byte): \(decodedAnyway)")
    }

    @Test func garbageNeverCrashes() async throws {
        let bytes = try sample()
        let decoded = try await offThePool { () -> Int in
            var random = SplitMix64(seed: 0xC0DEC)
            var decoded = 0
            // Mutations of a valid encoding reach deep into the format...
            for _ in 0..<3_000 {
                var garbled = bytes
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    garbled[Int(random.next() % UInt64(garbled.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                if (try? BinaryDecoder().decode(Everything.self, from: garbled)) != nil { decoded += 1 }
                _ = try? BinaryDecoder().decode([String: [Int]].self, from: garbled)
            }
            // ...and random buffers try the tags and lengths at random.
            for _ in 0..<3_000 {
                let garbage = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next() % 13) }
                _ = try? BinaryDecoder().decode(Everything.self, from: garbage)
                _ = try? BinaryDecoder().decode([Shape].self, from: garbage)
                _ = try? BinaryDecoder().decode([Int: [String?]].self, from: garbage)
                _ = try? BinaryDecoder().decode(Manual.self, from: garbage)
            }
            return decoded
        }
        // Some mutations only change a number's value; most must not decode.
        #expect(decoded < 3_000)
    }

    /// Garbage that nests a million containers deep throws instead of
    /// overflowing the stack, for a type that follows the nesting.
    @Test func deepNestingIsCapped() async throws {
        struct Nest: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                while !container.isAtEnd { _ = try container.decode(Nest.self) }
            }
        }
        let (deepError, shallowError) = try await offThePool { () -> (String?, String?) in
            let depth = 1_000_000
            var bytes = [UInt8](repeating: 0, count: depth * 9)
            for level in 0..<depth {
                let length = UInt32((depth - level - 1) * 9)
                bytes[level * 9] = 0x09
                withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange((level * 9 + 1)..<(level * 9 + 5), with: $0) }
                bytes[level * 9 + 5] = level == depth - 1 ? 0 : 1
            }
            var deepError: String?
            do {
                _ = try BinaryDecoder().decode(Nest.self, from: bytes)
            } catch let DecodingError.dataCorrupted(context) {
                deepError = context.debugDescription
            }
            var shallowError: String?
            do {
                _ = try BinaryDecoder().decode(Nest.self, from: bytes[((depth - 100) * 9)...])
            } catch {
                shallowError = "\(error)"
            }
            return (deepError, shallowError)
        }
        #expect(deepError?.contains("nested more than 512") == true, "a million levels gave \(String(describing: deepError))")
        // Within the limit is fine.
        #expect(shallowError == nil)

        // The same holds for `indirect` enums, and the encoder refuses what
        // the decoder would.
        indirect enum Chain: Codable { case end, link(Chain) }
        var chain = Chain.end
        for _ in 0..<2_000 { chain = .link(chain) }
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(chain) }
        var short = Chain.end
        for _ in 0..<100 { short = .link(short) }
        _ = try BinaryDecoder().decode(Chain.self, from: BinaryEncoder().encode(short))
    }

    @Test func absurdCountsAndLengthsAreRefused() throws {
        // An unkeyed container claiming 2^32-1 entries in 0 bytes.
        let claims: [UInt8] = [0x09, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode([Int].self, from: claims) }
        // A string claiming 2^63 bytes.
        let string: [UInt8] = [0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(String.self, from: string) }
        // A varint that never ends, and one that overflows.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int.self, from: [0x03] + [UInt8](repeating: 0xFF, count: 20)) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(UInt64.self, from: [0x04] + [UInt8](repeating: 0xFF, count: 9) + [0x02]) }
        // Invalid UTF-8.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(String.self, from: [0x07, 2, 0xC3, 0x28]) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int.self, from: []) }
    }

    // MARK: Speed

    /// Prints per-item costs against Foundation's JSON coders; asserts
    /// nothing (timings depend on the machine and the build), so it runs only
    /// when asked, in a release build: `CK_CODER_SPEED=1 swift test -c release
    /// --filter BinaryCoderTests/speed`. In the ordinary suite its half
    /// minute of work would hold one of the cooperative pool's two threads.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CK_CODER_SPEED"] != nil))
    func speed() throws {
        let echoes = (0..<100).map { Echo(value: $0 * 7919) }
        let ints = (0..<100).map { $0 * 7919 }
        func perItem(_ body: () throws -> Void) rethrows -> Double {
            let rounds = 2_000
            for _ in 0..<50 { try body() }
            let clock = ContinuousClock()
            var best = Duration.seconds(1_000)
            for _ in 0..<5 {
                let start = clock.now
                for _ in 0..<rounds { try body() }
                best = min(best, (clock.now - start) / rounds)
            }
            return Double(best.components.attoseconds) / 1e9 / 100 + Double(best.components.seconds) * 1e9 / 100
        }
        let binaryEncoder = BinaryEncoder()
        let binaryDecoder = BinaryDecoder()
        let jsonEncoder = JSONEncoder()
        let jsonDecoder = JSONDecoder()
        var report: [String] = []
        func compare<T: Codable & Equatable>(_ name: String, _ value: T) throws {
            #expect(try binaryDecoder.decode(T.self, from: binaryEncoder.encode(value)) == value)
            let binaryEncode = try perItem { _ = try binaryEncoder.encode(value) }
            let bytes = try binaryEncoder.encode(value)
            let binaryDecode = try perItem { _ = try binaryDecoder.decode(T.self, from: bytes) }
            let jsonEncode = try perItem { _ = try jsonEncoder.encode(value) }
            let json = try jsonEncoder.encode(value)
            let jsonDecode = try perItem { _ = try jsonDecoder.decode(T.self, from: json) }
            func ns(_ value: Double) -> String { String(format: "%7.1f ns", value) }
            report.append("\(name): binary encode \(ns(binaryEncode)) + decode \(ns(binaryDecode)) = \(ns(binaryEncode + binaryDecode)) per item, \(bytes.count) bytes; JSON \(ns(jsonEncode)) + \(ns(jsonDecode)) = \(ns(jsonEncode + jsonDecode)), \(json.count) bytes; \(String(format: "%.1f", (jsonEncode + jsonDecode) / (binaryEncode + binaryDecode)))x")
        }
        try compare("[Echo] x100", echoes)
        try compare("[Int]  x100", ints)
        for line in report { print(line) }
    }
}

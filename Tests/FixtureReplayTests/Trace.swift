import Foundation

/// A JSON value: the payload of a trace event.
enum JSON: Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(nilLiteral: ()) { self = .null }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON with sorted keys: the canonical form events are compared
    /// and sorted by.
    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .string(let value):
            String(decoding: (try? JSONEncoder().encode(value)) ?? Data("\"?\"".utf8), as: UTF8.self)
        case .array(let values): "[" + values.map(\.description).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { JSON.string($0.key).description + ":" + $0.value.description }
                .joined(separator: ",") + "}"
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var int: Int? {
        if case .int(let value) = self { return value }
        return nil
    }
}

/// One event of a trace. In a golden trace `time` is a bucket (whole units,
/// or `nil` when CPython's runs disagreed); in a replayed one it is the
/// measured time in units.
struct TraceEvent: Sendable {
    var event: String
    var actor: String
    var payload: JSON
    var time: Double?
    /// Consecutive events with the same label form a group whose order is
    /// undefined.
    var set: String?

    /// What must be equal, in canonical form.
    var key: String { "\(set ?? "")|\(event)|\(actor)|\(payload)" }

    var rendered: String {
        let t = time.map { String(format: "%.2f", $0) } ?? "-"
        return "\(event) [\(actor)] t=\(t) \(payload)" + (set.map { " {\($0)}" } ?? "")
    }
}

/// A golden trace recorded from CPython (Fixtures/traces/NAME.jsonl).
struct GoldenTrace: Sendable {
    var name: String
    var header: JSON
    var events: [TraceEvent]
    /// Events about the Python language itself; listed, never compared.
    var pythonOnly: [TraceEvent]

    var multiset: Bool { header["order"]?.string == "multiset" }
    var clauses: [String] {
        if case .array(let values)? = header["clauses"] { return values.compactMap(\.string) }
        return []
    }

    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("traces").path)) ?? []
        return files.filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(6)) }.sorted()
    }

    static func load(_ name: String) throws -> GoldenTrace {
        let url = directory.appendingPathComponent("traces/\(name).jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let decoder = JSONDecoder()
        let values = try lines.map { try decoder.decode(JSON.self, from: Data($0.utf8)) }
        guard let header = values.first else { throw TraceError("\(name): empty trace") }
        var events: [TraceEvent] = []
        var pythonOnly: [TraceEvent] = []
        for value in values.dropFirst() {
            let event = TraceEvent(
                event: value["event"]?.string ?? "?",
                actor: value["actor"]?.string ?? "?",
                payload: value["payload"] ?? .null,
                time: value["t"]?.int.map(Double.init),
                set: value["set"]?.string
            )
            if value["scope"]?.string == "python" { pythonOnly.append(event) } else { events.append(event) }
        }
        return GoldenTrace(name: name, header: header, events: events, pythonOnly: pythonOnly)
    }
}

struct TraceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How replayed times are held against CPython's buckets.
enum TimeRule: Sendable {
    /// A virtual-time loop: the time must fall in exactly the same bucket.
    case exact
    /// Real time on a loaded machine: a hard lower bound (never before the
    /// bucket's lower edge) and one bucket of slack above.
    case bucketWithSlack
}

/// Sorts the events of each unordered group (or of the whole trace) into a
/// canonical order, as record.py does.
func canonicalOrder(_ events: [TraceEvent], multiset: Bool) -> [TraceEvent] {
    func sorted(_ group: [TraceEvent]) -> [TraceEvent] {
        group.sorted { ($0.key, $0.time ?? -1) < ($1.key, $1.time ?? -1) }
    }
    if multiset { return sorted(events) }
    var result: [TraceEvent] = []
    var group: [TraceEvent] = []
    for event in events {
        if event.set == nil || (group.last.map { $0.set != event.set } ?? false) {
            result += sorted(group)
            group = []
        }
        if event.set == nil { result.append(event) } else { group.append(event) }
    }
    return result + sorted(group)
}

/// Compares a replayed trace with the golden one.
/// - Returns: `nil` when they agree; otherwise a report with both traces side
///   by side and the differing rows marked.
func compare(golden: GoldenTrace, replayed: [TraceEvent], rule: TimeRule) -> String? {
    let expected = canonicalOrder(golden.events, multiset: golden.multiset)
    let actual = canonicalOrder(replayed, multiset: golden.multiset)
    var problems: [Int: String] = [:]
    for index in 0..<max(expected.count, actual.count) {
        guard index < expected.count, index < actual.count else {
            problems[index] = index < expected.count ? "missing" : "extra"
            continue
        }
        let (e, a) = (expected[index], actual[index])
        if e.key != a.key {
            problems[index] = "event"
        } else if let bucket = e.time {
            guard let t = a.time else {
                problems[index] = "no time"
                continue
            }
            switch rule {
            case .exact:
                if (t + 0.5).rounded(.down) != bucket { problems[index] = "time ≠ \(Int(bucket))" }
            case .bucketWithSlack:
                if t < bucket - 0.5 { problems[index] = "too early (< \(bucket - 0.5))" }
                if t >= bucket + 1.5 { problems[index] = "too late (≥ \(bucket + 1.5))" }
            }
        }
    }
    guard !problems.isEmpty else { return nil }
    let width = max(48, (expected.map(\.rendered.count).max() ?? 0) + 2)
    func pad(_ text: String) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
    var lines = [
        "\(golden.name): the replay differs from CPython (order: \(golden.multiset ? "multiset" : "exact"), times: \(rule))",
        "   " + pad("CPython") + "   replay",
    ]
    for index in 0..<max(expected.count, actual.count) {
        let left = index < expected.count ? expected[index].rendered : ""
        let right = index < actual.count ? actual[index].rendered : ""
        let mark = problems[index].map { " ✗ \($0)" } ?? ""
        lines.append((problems[index] == nil ? "   " : "✗  ") + pad(left) + " | " + right + mark)
    }
    return lines.joined(separator: "\n")
}

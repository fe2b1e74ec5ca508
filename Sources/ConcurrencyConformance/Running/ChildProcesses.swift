import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The child processes of this process, read from `/proc`, for checks that a
/// pool leaves no worker behind, running or as a zombie.
public enum ChildProcesses {
    /// A child and its scheduler state (`R`, `S`, `Z` for a zombie…).
    public struct Child: Sendable, Hashable, CustomStringConvertible {
        public var pid: Int32
        public var state: Character
        public var description: String { "\(pid) (\(state))" }
    }

    /// Every process whose parent is this one.
    public static func all() -> [Child] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        let me = getpid()
        return entries.compactMap { Int32($0) }.compactMap { pid in
            guard let child = read(pid), child.parent == me else { return nil }
            return Child(pid: pid, state: child.state)
        }
    }

    /// `pid` if it is still this process's child (alive or a zombie), else `nil`.
    public static func child(_ pid: Int32) -> Child? {
        guard let entry = read(pid), entry.parent == getpid() else { return nil }
        return Child(pid: pid, state: entry.state)
    }

    /// The state and parent of `pid` from `/proc/<pid>/stat`. The command
    /// name sits in parentheses and may itself contain spaces or
    /// parentheses, so the fields are read after its last `)`.
    private static func read(_ pid: Int32) -> (state: Character, parent: Int32)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count >= 2, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (state, parent)
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process of this process, as `/proc/<pid>/stat` shows it, for
/// checks that a process pool leaves no worker behind, running or as a
/// zombie (Linux; elsewhere nothing is listed).
///
/// Other checks in the same process may run process pools of their own at
/// the same time, so checks follow the workers they know, by pid and start
/// time (the start time tells a worker from a later process that reuses its
/// pid), and look for zombies that persist rather than the one a
/// neighbour's pool is about to reap.
public struct ChildProcess: Hashable, Sendable, CustomStringConvertible {
    public let pid: Int32
    /// `R`, `S`, `D`, `Z` (zombie: exited, not yet reaped)...
    public let state: Character
    /// Clock ticks after boot.
    public let startTime: UInt64

    public var description: String { "pid \(pid) (state \(state))" }
    public var isZombie: Bool { state == "Z" }

    /// `pid`, if it is a child of this process.
    public static func lookUp(_ pid: Int32) -> ChildProcess? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state (3), ppid (4), ... starttime (22).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, Int32(fields[1]) == getpid(),
              let start = UInt64(fields[19])
        else { return nil }
        return ChildProcess(pid: pid, state: state, startTime: start)
    }

    /// Every child of this process, with its state.
    public static func all() -> [ChildProcess] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).compactMap(lookUp)
    }

    /// Whether this very process is still a child of this one: running, or
    /// exited and not yet reaped.
    public var isStillAChild: Bool { Self.lookUp(pid)?.startTime == startTime }

    /// The zombies among this process's children that are still zombies
    /// after `grace`: a pool reaps its workers within milliseconds, so a
    /// zombie that lasts is one nobody will reap.
    public static func lastingZombies(grace: Duration = .seconds(1)) -> [ChildProcess] {
        keepFiltering(all().filter(\.isZombie), within: grace, every: .milliseconds(10)) { Self.lookUp($0.pid) == $0 }
            .sorted { $0.pid < $1.pid }
    }

    /// Waits until none of `processes` is a child of this process any more,
    /// or the deadline passes.
    /// - Returns: Those still children (running or zombies) at the end.
    public static func waitGone(_ processes: [ChildProcess], within limit: Duration) -> [ChildProcess] {
        keepFiltering(processes, within: limit, every: .milliseconds(5)) { $0.isStillAChild }
    }

    /// How many descriptors this process has open.
    public static func openDescriptorCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }
}

import ConcurrencySpec
import ConcurrencyWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One worker process: its pid and the parent's end of its socket.
///
/// Started with `posix_spawn`, never `fork`: forking a threaded process copies
/// locks that other threads held, which CPython deprecates for the same
/// reason. The child gets the socket as descriptor 3 and `/dev/null` as its
/// input. Sockets are close-on-exec everywhere else, so that no worker holds
/// another worker's end, which would hide that worker's death from the pool.
struct WorkerProcess: Sendable {
    let pid: pid_t
    let descriptor: Int32

    static func spawn(_ program: WorkerProgram) throws -> WorkerProcess {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw ConcurrencyError.brokenExecutor(reason: "could not create a socket for a worker: \(String(cString: strerror(errno)))")
        }
        let (parentEnd, childEnd) = (sockets[0], sockets[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 clears close-on-exec on the copy. Every socket of every pool is
        // made close-on-exec, so no worker inherits another worker's socket.
        posix_spawn_file_actions_adddup2(&actions, childEnd, Wire.workerDescriptor)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal handling in the child, whatever the parent set.
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = [program.path, ProcessWorker.argument]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, program.path, &actions, &attributes, &argv, environ)
        close(childEnd)
        guard status == 0 else {
            close(parentEnd)
            throw ConcurrencyError.brokenExecutor(
                reason: "could not start worker program \(program.path): \(String(cString: strerror(status)))"
            )
        }
        return WorkerProcess(pid: pid, descriptor: parentEnd)
    }

    /// Waits for the process to exit and reaps it, so no zombie remains.
    /// - Returns: How it ended, in words.
    func reap() -> String {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return "could not be waited for (\(String(cString: strerror(errno))))" }
        }
        // WIFEXITED / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : "")"
    }

    /// Sends SIGKILL; harmless on a process that already exited and awaits
    /// reaping.
    func kill() { _ = sendSignal(pid, SIGKILL) }

    /// Closes the pool's sending side: the worker reads the end of its
    /// stream and exits, while the pool can still read its last results.
    func closeSending() { _ = shutdownSocket(descriptor, Int32(SHUT_WR)) }
}

// The C functions under names that the struct's own `kill()` does not shadow.
private func sendSignal(_ pid: pid_t, _ signal: Int32) -> Int32 { kill(pid, signal) }
private func shutdownSocket(_ descriptor: Int32, _ how: Int32) -> Int32 { shutdown(descriptor, how) }

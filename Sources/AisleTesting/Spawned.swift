public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, its standard output and error on one pipe, its
/// standard input `/dev/null`, and no other descriptor of the test process.
///
/// Not Foundation's `Process`: on Linux its `run()` reads `/proc/self/fd` by copying each
/// entry's whole 256-byte name, past the end of readdir's buffer, and crashes now and then with a
/// bad pointer (swift-corelibs-foundation#5472, fixed after this toolchain). A test process with
/// many descriptors open, spawning hubs and edges in parallel, hit it in CI.
public final class Spawned: Sendable {
    public let pid: pid_t
    /// The read end of the child's output pipe (closed by the reader).
    let output: Int32
    /// The child's status once reaped: its exit code, or the signal that ended it.
    private let status = Mutex<Int32?>(nil)

    /// glibc's `pipe2` and `posix_spawn_file_actions_addclosefrom_np` (2.34), which Swift's Glibc
    /// module does not import (they need `_GNU_SOURCE`): the pipe is close-on-exec from its
    /// creation, so no child spawned meanwhile by another thread holds its write end open, and
    /// the child keeps no descriptor of the test process but its three.
    private static let pipe2 = unsafeBitCast(
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2"),
        to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    private static let closeFrom = unsafeBitCast(
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"),
        to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)

    /// - Parameter errors: whether standard error goes to the pipe too (else to `/dev/null`).
    public init(_ executable: URL, _ arguments: [String], errors: Bool = true) throws {
        var ends: [Int32] = [0, 0]
        guard Self.pipe2(&ends, O_CLOEXEC) == 0 else { throw Self.failure("pipe2", executable) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        if errors {
            posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        _ = Self.closeFrom(&actions, 3)
        // The spawning thread may block signals (libdispatch's do): the child starts with none
        // blocked and every signal at its default, as from a shell.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child = pid_t()
        let spawned = posix_spawn(&child, executable.path, &actions, &attributes, argv, environ)
        close(ends[1])
        guard spawned == 0 else {
            close(ends[0])
            errno = spawned
            throw Self.failure("posix_spawn", executable)
        }
        pid = child
        output = ends[0]
    }

    /// The next bytes the child wrote, waiting for them; nil once it closed its output (or it
    /// cannot be read).
    public func readChunk() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            return count > 0 ? Array(buffer[0..<count]) : nil
        }
    }

    /// Reads the output until the child closes it, handing each chunk to `chunk`, then closes
    /// the pipe.
    public func readOutput(_ chunk: (String) -> Void) {
        while let bytes = readChunk() { chunk(String(decoding: bytes, as: UTF8.self)) }
        close(output)
    }

    /// The child's exit code (or the signal that ended it) once it has ended, reaping it; nil
    /// while it runs. With `wait`, blocks until it ends.
    public func exitStatus(wait: Bool = false) -> Int32? {
        status.withLock { status in
            if status != nil { return status }
            var raw: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(pid, &raw, wait ? 0 : WNOHANG) } while reaped < 0 && errno == EINTR
            guard reaped == pid else { return nil }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
            status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            return status
        }
    }

    public var isRunning: Bool { exitStatus() == nil }

    private static func failure(_ call: String, _ executable: URL) -> any Error {
        NSError(
            domain: NSPOSIXErrorDomain, code: Int(errno),
            userInfo: [NSLocalizedDescriptionKey: "\(call) for \(executable.path): \(String(cString: strerror(errno)))"]
        )
    }
}

import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one process serving a replica database: an exclusive `flock` on `<database>.lock`, held
/// until the store closes (the kernel drops it when the process dies, however it dies).
///
/// Two processes on one database (a second `aisle edge serve` started by mistake, a hub started
/// twice by a supervisor) would both write as the same replica: two sessions with the hub under
/// one identity, each sending what it wrote, each taking the other's sequence numbers for its
/// own. The second is refused at open, before it writes. Tools that only look at a database
/// (`aisle admin inspect`, `backup`) take no lock, and SQLite's own locks, which make each
/// transaction whole, are untouched: the lock is on a file of its own.
final class DatabaseLock: Sendable {
    /// The lock file.
    let path: String
    /// The open lock file, holding the lock; -1 once released.
    private let descriptor: Mutex<Int32>

    /// Takes the lock of the database at `database`, at once or not at all.
    /// - Throws: ``StoreError/inUse(path:by:)`` when another process holds it; a
    ///   ``StoreError/lockFailed(path:errno:)`` when the lock file cannot be made or locked.
    init(database: String) throws(StoreError) {
        path = database + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .lockFailed(path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            if failure == EWOULDBLOCK { throw .inUse(path: database, by: holder) }
            throw .lockFailed(path: path, errno: failure)
        }
        // Who holds it, for the message a second process prints (not read to decide anything).
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = Mutex(descriptor)
    }

    /// Lets another process open the database. Idempotent.
    func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
        }
    }

    deinit {
        release()
    }

    /// The process id the holder wrote into the lock file, if readable.
    private static func holder(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

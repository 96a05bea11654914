public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The directory of one scale-out hub process's SQLite cache (`aisle-hub-cache-XXXXXX` in the
/// temporary directory), locked with `flock` for as long as the process lives.
///
/// A process that ends without removing its cache (killed with SIGKILL, exited with status 75
/// when its cache got ahead of PostgreSQL, or lost with its machine's power) leaves the cache on
/// disk, as large as the journal; a hub restarted in a loop would fill the disk. The kernel drops
/// a dead process's locks, so the next hub to start on the machine finds such directories
/// unlocked and removes them (``sweep(in:)``), while those of hubs still running stay locked.
public final class HubCacheDirectory: Sendable {
    /// The name every cache directory starts with.
    static let prefix = "aisle-hub-cache-"
    /// A directory not yet locked: made under this name, locked, then renamed, so a sweep never
    /// sees a cache between its making and its lock.
    static let newPrefix = "aisle-hub-new-"

    /// The directory.
    public let url: URL
    /// The open directory, holding the lock.
    private let descriptor: Int32

    /// Makes and locks a fresh cache directory in `base`.
    /// - Throws: ``HubCacheError`` when it cannot be made or locked.
    public init(in base: URL) throws(HubCacheError) {
        var template = Array(base.appendingPathComponent(Self.newPrefix + "XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw HubCacheError("cannot make a cache directory in \(base.path)")
        }
        let newPath = String(cString: made)
        let descriptor = open(newPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            if descriptor >= 0 { close(descriptor) }
            rmdir(newPath)
            throw HubCacheError("cannot lock the cache directory \(newPath) (errno \(errno))")
        }
        let suffix = URL(fileURLWithPath: newPath).lastPathComponent.dropFirst(Self.newPrefix.count)
        let path = base.appendingPathComponent(Self.prefix + suffix).path
        guard rename(newPath, path) == 0 else {
            close(descriptor)
            rmdir(newPath)
            throw HubCacheError("cannot name the cache directory \(path) (errno \(errno))")
        }
        self.url = URL(fileURLWithPath: path, isDirectory: true)
        self.descriptor = descriptor
    }

    /// Removes the directory and everything in it, and lets go of the lock.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
        close(descriptor)
    }

    /// Removes the cache directories in `base` that no living process holds: each is locked in
    /// turn, and removed when the lock is granted. Directories still being made are left alone
    /// for an hour. Those it may not remove (another user's) are skipped.
    /// - Returns: the directories removed.
    @discardableResult
    public static func sweep(in base: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        var removed: [URL] = []
        for name in names where name.hasPrefix(prefix) || name.hasPrefix(newPrefix) {
            let url = base.appendingPathComponent(name, isDirectory: true)
            if name.hasPrefix(newPrefix) {
                let modified =
                    (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
                guard let modified, modified.timeIntervalSinceNow < -3_600 else { continue }
            }
            let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            if (try? FileManager.default.removeItem(at: url)) != nil { removed.append(url) }
        }
        return removed
    }
}

/// A hub's cache directory could not be made.
public struct HubCacheError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

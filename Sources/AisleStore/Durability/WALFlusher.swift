import Foundation
import Synchronization

/// Makes commits made at `synchronous = NORMAL` durable on demand (``ReplicaStore/flush()``): one
/// `fdatasync` of the WAL file serves every caller that asked while the previous one ran (group
/// flush). A commit at `synchronous = FULL` syncs the WAL itself, and so every commit before it.
///
/// Flushes begin at most one per ``minimumInterval``: a hub acknowledging a thousand devices' changes
/// a second flushed back to back, about one `fdatasync` per change, each a fraction of a millisecond
/// of CPU; a flush that waits for the interval serves every caller that asked meanwhile. A flush
/// asked for after a quiet spell begins at once.
///
/// Correct because, in WAL mode, a commit has written its frames to the WAL file before `COMMIT`
/// returns, and SQLite overwrites WAL frames only after a checkpoint has copied them into the
/// database file and synced it; so once the WAL's data is on disk, every commit made before the
/// flush began survives a power cut.
final class WALFlusher: Sendable {
    private struct State {
        /// Flushes begun, and finished; a caller needs one begun after it asked.
        var begun: UInt64 = 0
        var finished: UInt64 = 0
        var running = false
        /// Callers waiting for the flush numbered `needs`.
        var waiting: [(needs: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        /// Whether the directory entry of the WAL is known to be on disk.
        var directorySynced = false
        /// The commits counted when the last finished flush began: those are durable.
        var durable: UInt64 = 0
        /// When the last flush began.
        var lastBegan: DispatchTime?
    }

    /// The least time from the beginning of one flush to the beginning of the next: an
    /// acknowledgement waits at most this much longer, and the WAL is synced at most about 330
    /// times a second.
    static let minimumInterval = DispatchTimeInterval.milliseconds(3)

    private let walPath: String
    private let directory: String
    /// How many transactions the store has committed so far (``committed()``).
    private let commits = Atomic<UInt64>(0)
    /// How many times the WAL was synced.
    let performed = Atomic<UInt64>(0)
    private let state = Mutex(State())
    /// fdatasync blocks for milliseconds: never on the cooperative threads.
    private let queue = DispatchQueue(label: "aisle.wal-flush")

    init(databasePath: String) {
        walPath = databasePath + "-wal"
        directory = (databasePath as NSString).deletingLastPathComponent
    }

    /// Counts a committed write transaction (called on commit, before its caller resumes).
    /// - Parameter synced: SQLite synced the WAL at this commit (`synchronous = FULL`), which makes
    ///   every commit before it durable too.
    func committed(synced: Bool) {
        let count = commits.add(1, ordering: .releasing).newValue
        if synced { state.withLock { $0.durable = max($0.durable, count) } }
    }

    /// Returns once every commit made before the call is on disk (at once if a flush begun
    /// since the last commit has finished).
    func flush() async throws {
        let made = commits.load(ordering: .acquiring)
        guard state.withLock({ made > $0.durable }) else { return }
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                // A flush running now may have begun before this caller's commit: wait for the next.
                state.waiting.append((state.begun + 1, continuation))
                defer { state.running = true }
                return !state.running
            }
            if start { run() }
        }
    }

    /// Begins the next flush on the queue; when it finishes, resumes the callers it covers and
    /// begins another for those that asked meanwhile.
    private func run() {
        let earliest = state.withLock { $0.lastBegan.map { $0 + Self.minimumInterval } } ?? .now()
        queue.asyncAfter(deadline: max(earliest, .now())) { [self] in
            // Counted as it begins: the callers that asked while it waited are served by it.
            let counted = commits.load(ordering: .acquiring)
            let syncDirectory = state.withLock { state -> Bool in
                state.begun += 1
                state.lastBegan = .now()
                return !state.directorySynced
            }
            var failure: (any Error)?
            do {
                if syncDirectory { try Self.sync(path: directory, directory: true) }
                try Self.sync(path: walPath, directory: false)
                performed.add(1, ordering: .relaxed)
            } catch {
                failure = error
            }
            let (covered, more) = state.withLock { state in
                state.finished = state.begun
                if failure == nil {
                    if syncDirectory { state.directorySynced = true }
                    state.durable = max(state.durable, counted)
                }
                let finished = state.finished
                let covered = state.waiting.filter { $0.needs <= finished }.map(\.continuation)
                state.waiting.removeAll { $0.needs <= finished }
                state.running = !state.waiting.isEmpty
                return (covered, state.running)
            }
            for continuation in covered {
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
            if more { run() }
        }
    }

    /// `fdatasync` (or `fsync` for a directory) of `path`; a WAL that does not exist has nothing
    /// unsynced (SQLite removes it only after a checkpoint that synced the database).
    private static func sync(path: String, directory: Bool) throws {
        let fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return }
            throw StoreError.flushFailed(path: path, errno: errno)
        }
        defer { close(fd) }
        if (directory ? fsync(fd) : fdatasync(fd)) != 0 { throw StoreError.flushFailed(path: path, errno: errno) }
    }
}

import Foundation
import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// This process's open files: every device connection holds one descriptor, every SQLite
/// connection a few. At the limit a server stops accepting connections (the kernel refuses
/// `accept` with EMFILE) without a word, so `hub serve` and `edge serve` raise the limit at start,
/// report it in `/metrics` under Prometheus's standard process names, and log when it comes near
/// (docs/operations.md).
enum OpenFiles {
    /// Descriptors open now (gauge).
    static let openMetric = "process_open_fds"
    /// The most this process may open (gauge).
    static let limitMetric = "process_max_fds"

    /// Raises the soft limit on open files to the hard limit, as far as the kernel allows; a
    /// shell's or a service manager's soft limit (1,024 is common) holds far fewer devices than
    /// the host allows.
    /// - Returns: the limit in force afterwards (nil when it cannot be read).
    @discardableResult
    static func raiseLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The soft limit on open files now (nil when it cannot be read).
    static func limit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// How many descriptors this process has open (the entries of /proc/self/fd, less the one
    /// reading them; the limit when no other can be opened to read them), or nil where there is
    /// no /proc.
    static func count() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return errno == EMFILE ? limit() : nil }
        defer { closedir(directory) }
        // Only the name's first byte is read, in place: a record is as long as its name (its
        // `d_reclen`), and copying the whole 256-byte `d_name` of one at the end of readdir's
        // buffer can read past it into an unmapped page (the bug that crashes Foundation's
        // Process.run, swift-corelibs-foundation#5472).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var entries = 0
        while let entry = readdir(directory) {
            if (UnsafeRawPointer(entry) + nameOffset).load(as: UInt8.self) != UInt8(ascii: ".") { entries += 1 }
        }
        return entries - 1
    }

    /// Logs the limit at start: a notice, or a warning when it holds fewer than `warnBelow`
    /// descriptors (a hub needs one per connected device).
    static func logLimit(_ limit: Int?, warnBelow: Int, logger: Logger) {
        guard let limit else { return }
        if limit < warnBelow {
            logger.warning(
                "the open-file limit is low: each connected device holds one; raise it (LimitNOFILE= in a systemd unit, ulimit -n in a shell)",
                metadata: ["limit": "\(limit)"])
        } else {
            logger.info("open-file limit", metadata: ["limit": "\(limit)"])
        }
    }

    /// Records both gauges, and logs a warning when the open descriptors pass 90 % of the limit
    /// (again after they fell below 80 %), and a notice when they fall back.
    final class Watch: Sendable {
        private let near = Mutex(false)
        private let logger: Logger

        init(logger: Logger) { self.logger = logger }

        func sample() {
            guard let open = OpenFiles.count(), let limit = OpenFiles.limit() else { return }
            Gauge(label: OpenFiles.openMetric).record(open)
            Gauge(label: OpenFiles.limitMetric).record(limit)
            let metadata: Logger.Metadata = ["open": "\(open)", "limit": "\(limit)"]
            // In Double: an unlimited limit reads as Int.max.
            let share = Double(open) / Double(limit)
            let change: Bool? = near.withLock { near in
                if !near && share >= 0.9 {
                    near = true
                    return true
                }
                if near && share < 0.8 {
                    near = false
                    return false
                }
                return nil
            }
            switch change {
            case true?:
                logger.warning(
                    "open files near the limit: at the limit new connections are refused; raise it (LimitNOFILE=, ulimit -n)",
                    metadata: metadata)
            case false?: logger.notice("open files back below the limit's 80 %", metadata: metadata)
            case nil: break
            }
        }
    }
}

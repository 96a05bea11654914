import Foundation
import Logging

/// How many device connections a hub process on this host can hold: each takes a file
/// descriptor, and about four memory mappings for its session's guarded secrets (measured:
/// 8,349 mappings with 2,006 connections, 321 with none), of the host's `vm.max_map_count`.
/// A process that runs out of either fails its devices (docs/operations.md, "Connection
/// capacity"), so the hub refuses connections beyond it.
struct ConnectionCapacity {
    static let mappingsPerConnection = 4
    /// Mappings kept for everything else (libraries, thread stacks, SQLite, the heap).
    static let reservedMappings = 2_048
    /// Descriptors kept for everything else (SQLite, PostgreSQL, the listening socket, logs).
    static let reservedFiles = 128

    /// The open-file limit in force, if known.
    let openFiles: Int?
    /// The host's `vm.max_map_count`, if known.
    let mappings: Int?

    /// The most connections both limits allow (`Int.max` when neither is known).
    var connections: Int {
        let byFiles = openFiles.map { $0 - Self.reservedFiles }
        let byMappings = mappings.map { ($0 - Self.reservedMappings) / Self.mappingsPerConnection }
        return max(1, [byFiles, byMappings].compactMap { $0 }.min() ?? .max)
    }

    /// Linux's limit on a process's memory mappings, from /proc.
    static func mappingLimit() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The most connections to take: `configured` when given (with a warning when this host's
    /// limits hold fewer), else what the limits hold; logged either way.
    func maxConnections(configured: Int?, logger: Logger) -> Int {
        let fits = connections
        var metadata: Logger.Metadata = ["open_file_limit": "\(openFiles.map(String.init) ?? "?")"]
        metadata["max_map_count"] = "\(mappings.map(String.init) ?? "?")"
        if let configured {
            metadata["max"] = "\(configured)"
            if configured > fits {
                metadata["host_holds"] = "\(fits)"
                logger.warning(
                    "maxConnections is above what this host's limits hold: raise the open-file limit or vm.max_map_count, or lower it",
                    metadata: metadata)
            } else {
                logger.info("taking device connections up to maxConnections", metadata: metadata)
            }
            return configured
        }
        metadata["max"] = "\(fits)"
        logger.info("taking device connections up to what this host's limits hold", metadata: metadata)
        return fits
    }
}

public import AisleCore
import Foundation

/// Why the store refused an operation. Nothing is partly applied when one of these is thrown.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The database was written by a newer Aisle, with migrations this build does not know.
    case newerSchema(path: String, unknown: [String])
    /// The database belongs to another replica.
    case replicaMismatch(path: String, expected: ReplicaID, found: String)
    /// A remote change's delta could not be decoded.
    case corruptDelta(scope: Scope, origin: ReplicaID, seq: UInt64, DeltaDecodingError)
    /// A remote change's delta is for a different scope than its header says.
    case scopeMismatch(header: Scope, delta: Scope, origin: ReplicaID, seq: UInt64)
    /// A second, different change arrived under an (origin, seq) already known.
    case equivocation(scope: Scope, origin: ReplicaID, seq: UInt64)
    /// A remote change breaks a writer rule its receiver's state shows (a custody hand-over or phase
    /// change by a replica not holding the reservation, stock counts off the reservation's lines).
    case refusedOnReceipt(scope: Scope, origin: ReplicaID, seq: UInt64, ReceiptRefusal)
    /// A stored object could not be decoded: the file is damaged.
    case corruptState(ObjectKey, CanonicalDecodingError)
    /// A stored row refers to a store by a number `name_numbers` does not hold: the file is damaged.
    case unknownNumber(Int64)
    /// A mutation wrote an object it had not declared (a programming error in the caller).
    case undeclaredWrite(ObjectKey)
    /// The backup or restore target already exists.
    case targetExists(String)
    /// A file to restore from or open does not exist.
    case missingFile(String)
    /// A file that is not an Aisle replica database.
    case notAReplica(String)
    /// A peer lacks changes of `origin` up to `through` that this log no longer holds (compacted,
    /// or installed from a snapshot): it needs a snapshot of the scope.
    case compacted(scope: Scope, origin: ReplicaID, through: UInt64)
    /// A snapshot covers this replica's own changes up to `seq`, but the replica holds only up to
    /// `has`: it lost changes it once made (restored from an old backup).
    case snapshotAhead(scope: Scope, seq: UInt64, has: UInt64)
    /// Flushing the write-ahead log to disk failed (`errno`): what is committed is not known to
    /// be durable, so nothing that depends on it may be acknowledged.
    case flushFailed(path: String, errno: Int32)
    /// Another process serves the database at `path` (its process id `by`, when known): one
    /// process per replica database (``StoreConfiguration/exclusive``).
    case inUse(path: String, by: Int32?)
    /// The lock file of a database (`path`) cannot be made or locked (`errno`).
    case lockFailed(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            "\(path) was written by a newer Aisle (schema \(unknown.joined(separator: ", "))): "
                + "upgrade Aisle to open it; the file was not changed"
        case .replicaMismatch(let path, let expected, let found):
            "\(path) belongs to replica \(found), not \(expected): use that replica's id or another file"
        case .corruptDelta(let scope, let origin, let seq, let error):
            "change \(origin)#\(seq) in \(scope) refused: \(error); nothing from its batch was applied"
        case .scopeMismatch(let header, let delta, let origin, let seq):
            "change \(origin)#\(seq) says scope \(header) but carries \(delta): refused with its batch"
        case .equivocation(let scope, let origin, let seq):
            "\(origin) sent two different changes as #\(seq) in \(scope) (equivocation): the second was refused "
                + "with its batch; \(origin) may be faulty or compromised"
        case .refusedOnReceipt(let scope, let origin, let seq, let refusal):
            "\(origin)#\(seq) in \(scope): \(refusal); nothing from its batch was applied"
        case .corruptState(let key, let error):
            "stored state of \(key) is damaged (\(error)): restore from a backup"
        case .unknownNumber(let number):
            "a stock row refers to store number \(number), which name_numbers does not hold (the file is damaged): "
                + "restore from a backup"
        case .undeclaredWrite(let key):
            "mutation wrote \(key), which it did not declare: nothing was written"
        case .targetExists(let path):
            "\(path) already exists: choose a new file or remove it first"
        case .missingFile(let path):
            "\(path) does not exist"
        case .notAReplica(let path):
            "\(path) is not an Aisle replica database"
        case .compacted(let scope, let origin, let through):
            "the log of \(scope) no longer holds \(origin)'s changes up to #\(through) (compacted): "
                + "the peer needs a snapshot of the scope from the hub"
        case .snapshotAhead(let scope, let seq, let has):
            "a snapshot of \(scope) holds this replica's own changes up to #\(seq), but it has only #\(has): "
                + "it lost changes (restored from an old backup?); enrol it again as a new device"
        case .flushFailed(let path, let errno):
            "cannot flush \(path) to disk: \(String(cString: strerror(errno))) (errno \(errno))"
        case .inUse(let path, let holder):
            "\(path) is in use by another process\(holder.map { " (pid \($0))" } ?? ""): "
                + "each replica database is served by one process at a time; stop that one first, "
                + "or give this one a database of its own"
        case .lockFailed(let path, let errno):
            "cannot lock \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}

extension StoreError {
    /// Whether this is ``refusedOnReceipt(scope:origin:seq:_:)``.
    var isReceiptRefusal: Bool {
        if case .refusedOnReceipt = self { return true }
        return false
    }
}

public import AisleCore
import Foundation
import GRDB
import Synchronization

/// A scope's snapshot as it is read (``ReplicaStore/snapshot(of:partBytes:)``): the version
/// vector it reflects and the clock reading it was taken at, known from the start; its parts
/// (encoded ObjectDeltas) as they are encoded, so the first is on its way while the rest are
/// still being read.
///
/// The parts come from one read transaction, a consistent view that nothing committed since
/// changes. At most a few parts wait to be taken: reading waits for the consumer. Dropping the
/// sequence (or cancelling its task) ends the read.
public struct SnapshotStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    public let scope: Scope
    /// The version vector the parts reflect together.
    public let covers: VersionVector
    /// The hybrid clock of the replica reading it, packed.
    public let stamp: UInt64
    let parts: AsyncThrowingStream<[UInt8], any Error>
    /// One permit per part the reader may encode ahead of the consumer.
    let room: DispatchSemaphore

    public struct AsyncIterator: AsyncIteratorProtocol {
        var parts: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        let room: DispatchSemaphore

        public mutating func next() async throws -> [UInt8]? {
            guard let part = try await parts.next() else { return nil }
            room.signal()
            return part
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(parts: parts.makeAsyncIterator(), room: room)
    }
}

extension ReplicaStore {
    /// How many snapshots are being read now, each holding a read transaction open (and back
    /// the checkpoints) until its consumer has taken every part or dropped it.
    public var snapshotsReading: Int { snapshotReaders.load(ordering: .relaxed) }

    /// How many parts a snapshot's reader encodes ahead of its consumer.
    static let snapshotPartsAhead = 4

    /// Reads every object of `scope` with its whole state, and the version vector it reflects,
    /// in one read transaction on a thread of its own, handing the objects out in parts of about
    /// `partBytes` (``ObjectDeltaParts``) as they are encoded. Returns once the read has begun:
    /// anything committed before the call is in it (flush after it returns, and all of it is
    /// durable).
    ///
    /// A long read holds back checkpoints while it runs (the WAL grows); a consumer that stops
    /// taking parts should drop the stream, which ends the read.
    public func snapshot(of scope: Scope, partBytes: Int) async throws -> SnapshotStream {
        let (parts, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        // Made empty and then given its permits: libdispatch traps when a semaphore is freed below
        // the value it was made with, which this one may well be.
        let room = DispatchSemaphore(value: 0)
        for _ in 0..<Self.snapshotPartsAhead { room.signal() }
        let dropped = DroppedFlag()
        continuation.onTermination = { _ in
            dropped.value.store(true, ordering: .relaxed)
            room.signal()
        }
        let (covers, stamp) = try await withCheckedThrowingContinuation {
            (begun: CheckedContinuation<(VersionVector, UInt64), any Error>) in
            let reader = Thread {
                self.snapshotReaders.add(1, ordering: .relaxed)
                defer { self.snapshotReaders.subtract(1, ordering: .relaxed) }
                var waiting: CheckedContinuation<(VersionVector, UInt64), any Error>? = begun
                do {
                    try self.pool.read { db in
                        // The first read fixes the transaction's view of the file.
                        waiting.take()?.resume(
                            returning: (try Self.versionVector(of: scope, db), self.clock.withLock { $0.last }))
                        var encoder = ObjectDeltaParts(scope: scope, partBytes: partBytes)
                        func hand(_ part: [UInt8]) throws {
                            room.wait()
                            if dropped.value.load(ordering: .relaxed) { throw CancellationError() }
                            continuation.yield(part)
                        }
                        try self.rows.forEachObject(in: scope, db) { key, value in
                            if let part = encoder.append(value, at: key) { try hand(part) }
                        }
                        if let part = encoder.finish() { try hand(part) }
                    }
                    continuation.finish()
                } catch {
                    waiting.take()?.resume(throwing: error)
                    continuation.finish(throwing: error)
                }
            }
            reader.name = "aisle.snapshot"
            reader.start()
        }
        return SnapshotStream(scope: scope, covers: covers, stamp: stamp, parts: parts, room: room)
    }
}

/// Set when a snapshot's consumer has gone: its reader stops.
private final class DroppedFlag: Sendable {
    let value = Atomic<Bool>(false)
}

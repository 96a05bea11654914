public import AisleCore
public import AisleStore
public import AisleTesting
import Foundation

// What the store and sync benchmarks share: the fixtures, an Aisle replica beside its raw
// baseline, and the remote-apply workload.

public let store: StoreID = "store-1"
public let wall: UInt64 = 1_767_225_600_000

/// A fresh Aisle replica in a temporary directory, synchronous = NORMAL like the baseline.
public func freshStore(_ directory: TemporaryDirectory, _ name: String = "aisle.db") throws -> ReplicaStore {
    try ReplicaStore(
        StoreConfiguration(path: directory.file(name), durability: .normal), replica: "till-1",
        wallClock: { wall })
}

/// What a benchmark keeps between iterations: its files stay until the benchmark ends.
public final class Fixture<Subject: Sendable>: @unchecked Sendable {
    // Set once in setup (the checkpointer task with it), read-only afterwards.
    public let directory: TemporaryDirectory
    public let subject: Subject
    private var checkpointer: Task<Void, Never>?

    public init(_ make: (TemporaryDirectory) throws -> Subject) throws {
        directory = try TemporaryDirectory()
        subject = try make(directory)
    }

    /// Checkpoints every 200 ms on a connection of its own, as a deployed node does (docs/durability.md);
    /// without it the WAL grows for the whole run and every commit pays for new file blocks.
    fileprivate func checkpointing(_ checkpoint: @escaping @Sendable () throws -> Void) -> Self {
        checkpointer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                try? checkpoint()
            }
        }
        return self
    }

    deinit {
        checkpointer?.cancel()
    }
}

extension Fixture where Subject == ReplicaStore {
    public func checkpointed() -> Self { checkpointing { [replica = subject] in try replica.checkpoint() } }
}

extension Fixture where Subject == RawBaseline {
    public func checkpointed() -> Self { checkpointing { [raw = subject] in try raw.checkpoint() } }
}

/// `changes` remote changes from one origin, each carrying `perChange` stock deltas, cycling over `keys` SKUs.
public func remoteChanges(changes: Int, perChange: Int, keys: Int) -> [RemoteChange] {
    let origin: ReplicaID = "till-9"
    var counters = [Int: BoundedCounter]()
    var result: [RemoteChange] = []
    result.reserveCapacity(changes)
    for change in 0..<changes {
        var objects: [ObjectKey: ObjectValue] = [:]
        for slot in 0..<perChange {
            let key = (change * perChange + slot) % keys
            var counter = counters[key] ?? BoundedCounter()
            counter.increment(by: 1, at: origin)
            counters[key] = counter
            objects[try! ObjectKey(scope: .store(store), kind: .stock, id: "sku-\(key)")] = .stock(counter)
        }
        let delta = ObjectDelta(scope: .store(store), objects: objects)
        result.append(
            RemoteChange(
                scope: .store(store), origin: origin, seq: UInt64(change + 1),
                stamp: (wall - 1_000) << 16 | UInt64(change % 65_536),
                dependencies: VersionVector([origin: UInt64(change)]),
                delta: delta.encoded))
    }
    return result
}

/// An Aisle replica and its raw baseline side by side, each with its own files and checkpointer.
public struct Pair: Sendable {
    public let aisle: Fixture<ReplicaStore>
    public let raw: Fixture<RawBaseline>

    public init() throws {
        aisle = try Fixture { try freshStore($0) }.checkpointed()
        raw = try Fixture { try RawBaseline(path: $0.file("raw.db")) }.checkpointed()
    }
}

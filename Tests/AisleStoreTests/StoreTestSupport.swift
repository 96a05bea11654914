import AisleCore
import AisleStore
import AisleTesting

/// A store in a temporary directory with a controllable clock.
struct TestStore {
    let directory: TemporaryDirectory
    let store: ReplicaStore

    static let wall: UInt64 = 1_767_225_600_000

    init(_ replica: ReplicaID, durability: StoreConfiguration.Durability = .normal) throws {
        directory = try TemporaryDirectory(prefix: "store-test")
        store = try ReplicaStore(
            StoreConfiguration(path: directory.file("\(replica).db"), durability: durability), replica: replica,
            wallClock: { TestStore.wall })
    }

    /// Publishes prices for `skus` (as head office would) so checkouts can be priced.
    func publishPrices(_ prices: [SKU: Int64]) async throws {
        let keys = try prices.keys.map { try ObjectKey(scope: .catalog, kind: .price, id: $0.rawValue) }
        try await store.updateCatalog(touching: keys) { catalog, stamp in
            var delta = Catalog()
            for (sku, price) in prices { delta.join(try catalog.setPrice(sku, price, at: stamp)) }
            return delta
        }
    }
}

extension ReplicaStore {
    /// Every change this store logged, every scope.
    func allChanges() throws -> [RemoteChange] {
        try state().scopes.flatMap { try changes(in: $0, missingFrom: VersionVector()) }
    }
}

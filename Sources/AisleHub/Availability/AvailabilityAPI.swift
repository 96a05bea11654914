import AisleCore
public import AisleNode
import AisleStore
public import Hummingbird

/// `GET /v1/availability?sku=SKU&near=LAT,LON[&localTime=…][&inStockOnly=true]` on the hub: the
/// chain's stores nearest to a customer, each with the units of the SKU it holds and its opening
/// hours (docs/hub-api.yaml).
///
/// The hub holds the catalog and every store's scope, so it knows every store's stock as far as
/// the tills have synced it. It reads and never writes; the ordering and shaping are
/// ``StockAvailability``'s (AisleCore), this type only reads the replica and speaks HTTP.
public struct AvailabilityAPI: Sendable {
    /// The hub's node.
    public let node: ReplicaNode

    public init(node: ReplicaNode) {
        self.node = node
    }

    /// Adds `GET /v1/availability` to `router`.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get(.init(AvailabilityQuery.path)) { request, _ in
            let parameters = request.uri.queryParameters
            let query = try AvailabilityQuery { name in parameters[name[...]].map(String.init) }
            return try answer(query)
        }
    }

    /// The answer to `query` from the hub's replica.
    ///
    /// - Throws: ``AvailabilityRequestError/unknownSKU(_:)`` for a SKU the catalog does not hold;
    ///   a storage error when the replica cannot be read.
    public func answer(_ query: AvailabilityQuery) throws -> AvailabilityView {
        let catalog = try node.store.catalog()
        var quantities: [StoreID: Int64] = [:]
        // One indexed read per store: the stock table's key is (store, SKU).
        for store in catalog.stores.keys {
            quantities[store] = try node.store.stockLevel(of: query.sku, in: store).level
        }
        do {
            let availability = try StockAvailability(
                sku: query.sku, near: query.near, catalog: catalog, quantities: quantities,
                inStockOnly: query.inStockOnly)
            return AvailabilityView(availability, localTime: query.localTime)
        } catch {
            throw AvailabilityRequestError.unknownSKU(error)
        }
    }
}

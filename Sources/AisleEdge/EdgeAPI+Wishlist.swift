import AisleCore
import AisleNode
import AisleStore
import Hummingbird

/// A customer's wishlist at the till, after the customer handed the till their cart (the handoff
/// grant lets the till read and write the customer's scope): show it, add what the cashier
/// scans, remove an item.
extension EdgeAPI {
    func addWishlistRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/wishlist/:customer") { _, context in
            try wishlistView(try customer(context))
        }
        router.post("/v1/wishlist/:customer") { request, context in
            let customer = try customer(context)
            let item = try await request.decode(as: WishlistItemRequest.self, context: context)
            let sku = try Self.parse(SKU.self, item.sku)
            try await writing(for: customer) {
                try await node.store.addToWishlist(sku, of: customer, from: "store:\(store)")
            }
            await changed(.customer(customer))
            return try wishlistView(customer)
        }
        router.delete("/v1/wishlist/:customer/:sku") { _, context in
            let customer = try customer(context)
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            try await writing(for: customer) { try await node.store.removeFromWishlist(sku, of: customer) }
            await changed(.customer(customer))
            return try wishlistView(customer)
        }
    }

    private func customer(_ context: BasicRequestContext) throws -> CustomerID {
        try Self.parse(CustomerID.self, context.parameters.require("customer"))
    }

    /// A write to `customer`'s scope; without the customer's handoff the till holds no key to
    /// seal it, and says so instead of writing what it could never send.
    private func writing(for customer: CustomerID, _ write: () async throws -> [Acknowledgement]) async throws {
        try requireHandoff(customer)
        _ = try await write()
    }

    private func wishlistView(_ customer: CustomerID) throws -> WishlistView {
        WishlistView(
            customer: customer.rawValue,
            items: try node.store.wishlist(of: customer).map {
                WishlistView.Item(sku: $0.sku.rawValue, addedAt: $0.addedAt)
            })
    }
}

struct WishlistItemRequest: Decodable { let sku: String }

struct WishlistView: ResponseEncodable {
    struct Item: Encodable {
        let sku: String
        let addedAt: String
    }

    let customer: String
    let items: [Item]
}

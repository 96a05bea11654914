import AisleCore
import AisleNode
import AisleStore
import ArgumentParser

/// The customer's wishlist on the phone (offline; `aisle mobile sync` sends it; a till the cart
/// was handed to can add what it scans).
struct MobileWishlistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wishlist", abstract: "Keep the customer's wishlist (synced with every device of the customer).",
        subcommands: [Add.self, Remove.self, Show.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add SKU to the wishlist.")
        @OptionGroup var phone: PhoneOptions
        @Argument(help: "The SKU.") var sku: String

        func run() async throws {
            let sku = try parseSKU(sku)
            try await change(phone) { node, customer in
                try await node.store.addToWishlist(sku, of: customer, from: "app")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove SKU from the wishlist.")
        @OptionGroup var phone: PhoneOptions
        @Argument(help: "The SKU.") var sku: String

        func run() async throws {
            let sku = try parseSKU(sku)
            try await change(phone) { node, customer in try await node.store.removeFromWishlist(sku, of: customer) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the wishlist, with prices where known.")
        @OptionGroup var phone: PhoneOptions

        func run() async throws {
            try await change(phone) { _, _ in [] }
        }
    }

    /// Opens the phone, makes `edit`, then prints the list.
    static func change(
        _ phone: PhoneOptions, _ edit: (ReplicaNode, CustomerID) async throws -> [Acknowledgement]
    ) async throws {
        let (node, customer) = try phone.open()
        defer { try? node.store.close() }
        _ = try await edit(node, customer)
        let items = try node.store.wishlist(of: customer)
        guard !items.isEmpty else {
            print("the wishlist of \(customer) is empty")
            return
        }
        let catalog = try node.store.catalog()
        print("wishlist of \(customer):")
        for item in items {
            let name = catalog.products[item.sku].map { "  \($0.name)" } ?? ""
            let price = catalog.prices[item.sku].map { "  \(money($0))" } ?? ""
            print(
                "  \(item.sku)\(name)\(price)  (added \(item.addedAt == "app" ? "in the app" : "at \(item.addedAt)"))")
        }
    }
}

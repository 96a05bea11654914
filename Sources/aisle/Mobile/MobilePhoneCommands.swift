import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import ArgumentParser
import Foundation

/// Where a simulated phone keeps its identity and replica.
struct PhoneOptions: ParsableArguments {
    @Option(name: .long, help: "The phone's identity directory (made by `aisle mobile init`, enrolled).")
    var dir: String

    @Option(name: .long, help: "The phone's replica database (default: DIR/phone.db).")
    var db: String?

    @Option(name: .long, help: "The cart to work on.")
    var cart: String = "app-cart"

    /// The phone's node, and the customer whose phone it is (from its certificate).
    func open() throws -> (ReplicaNode, CustomerID) {
        let database = db ?? (dir as NSString).appendingPathComponent("phone.db")
        try DatabaseFile.check(database, given: db == nil ? "--dir" : "--db")
        let node = try DeviceDirectory(dir).openNode(database: database, durability: .normal)
        for grant in node.identity.certificate.body.scopes {
            if case .exactly(.customer(let customer)) = grant { return (node, customer) }
        }
        throw CommandFailure("\(dir)/device.cert grants no customer scope: is this a phone's directory?")
    }

    var cartID: CartID {
        get throws {
            do { return try CartID(cart) } catch { throw ValidationError(error.description) }
        }
    }

    func validate() throws {
        _ = try cartID
    }
}

struct MobileCartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cart", abstract: "Fill the phone's cart (offline; `aisle mobile sync` sends it).",
        subcommands: [Add.self, Set.self, Remove.self, Show.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add QTY units of SKU to the cart.")
        @OptionGroup var phone: PhoneOptions
        @Argument(help: "The SKU.") var sku: String
        @Argument(help: "How many units (default 1).") var quantity: Int64 = 1

        func validate() throws {
            _ = try parseSKU(sku)
            guard quantity > 0 else { throw ValidationError("the quantity must be at least 1") }
        }

        func run() async throws {
            let sku = try parseSKU(sku)
            try await edit(phone) { cart, me, _ in try cart.add(sku, quantity: quantity, at: me) }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set SKU's quantity in the cart (0 removes it).")
        @OptionGroup var phone: PhoneOptions
        @Argument(help: "The SKU.") var sku: String
        @Argument(help: "The new quantity.") var quantity: Int64

        func validate() throws {
            _ = try parseSKU(sku)
            guard quantity >= 0 else { throw ValidationError("the quantity cannot be negative") }
        }

        func run() async throws {
            let sku = try parseSKU(sku)
            let quantity = self.quantity
            try await edit(phone) { cart, _, stamp in
                quantity == 0 ? try cart.remove(sku) : try cart.setQuantity(sku, to: quantity, at: stamp)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove SKU from the cart.")
        @OptionGroup var phone: PhoneOptions
        @Argument(help: "The SKU.") var sku: String

        func validate() throws {
            _ = try parseSKU(sku)
        }

        func run() async throws {
            let sku = try parseSKU(sku)
            try await edit(phone) { cart, _, _ in try cart.remove(sku) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the cart with its priced total.")
        @OptionGroup var phone: PhoneOptions

        func run() async throws {
            let (node, customer) = try phone.open()
            defer { try? node.store.close() }
            try printCart(phone, of: node, customer)
        }
    }
}

struct MobileSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Connect to the hub, exchange everything both sides lack, and disconnect.",
        discussion: "Prints progress as batches arrive; fails with the reason if the hub refuses the phone.")

    @OptionGroup var phone: PhoneOptions
    @Option(name: .long, help: "The hub's sync URL.") var hub: String = "ws://127.0.0.1:8470/v1/sync"
    @Option(name: .long, parsing: .unconditional, help: "Give up after this many seconds.") var timeout: Int = 60

    func validate() throws {
        try HubURL.validate(hub, timeout: timeout)
    }

    func run() async throws {
        let (node, customer) = try phone.open()
        defer { try? node.store.close() }
        let elapsed = try await OneShotSync.run(node, hub: hub, timeout: timeout)
        // Then where the customer's reservations stand, noted on the phone (the next sync sends the
        // notes to the customer's other devices).
        if try await MobileReservationsCommand.refresh(node, customer: customer, hub: hub, timeout: timeout) == nil {
            print(
                "the hub did not say where the reservations stand (an older hub?): `aisle mobile reservations` may be stale"
            )
        }
        print("synced in \(elapsed); cart \(phone.cart) of \(customer):")
        try printCart(phone, of: node, customer)
    }
}

struct MobileHandoffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handoff",
        abstract: "Print a code that hands the cart to the tills of a store.",
        discussion: """
            The till scans it (POST /v1/handoffs on the edge) and can then read and edit the cart; \
            its edits are allowed until the code expires. Sync first, so the hub holds the cart. The \
            code carries the key of the customer's data: show it only at the counter.
            """)

    @OptionGroup var phone: PhoneOptions
    @Option(name: .long, help: "The store whose tills may take the cart.") var store: String
    @Option(name: .long, help: "Minutes the tills may edit the cart.") var minutes: UInt64 = 15

    func validate() throws {
        _ = try parseStore(store)
    }

    func run() async throws {
        let storeID = try parseStore(store)
        let (node, customer) = try phone.open()
        defer { try? node.store.close() }
        let handoff: Handoff
        do { handoff = try node.handoff(of: try phone.cartID, in: customer, to: storeID, minutes: minutes) } catch {
            throw CommandFailure("\(error)")
        }
        print("handoff of cart \(phone.cart) to the tills of store \(storeID), valid \(minutes) minutes:")
        print(handoff.code)
    }
}

struct MobileHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the customer's orders this phone knows (sync first for the latest).")

    @OptionGroup var phone: PhoneOptions

    func run() async throws {
        let (node, customer) = try phone.open()
        defer { try? node.store.close() }
        let orders = try node.store.orders(in: .customer(customer))
        guard !orders.isEmpty else {
            print("no orders for \(customer) yet")
            return
        }
        for order in orders {
            let placed = Date(timeIntervalSince1970: Double(order.placedAt.physical) / 1_000)
            let items = order.totals.lines.map { "\($0.sku) × \($0.quantity)" }.joined(separator: ", ")
            print(
                "\(order.id)  \(placed.formatted(.iso8601))  \(order.store.map { "at \($0)" } ?? "in the app")  "
                    + "\(money(order.totals.total))"
                    + (order.pointsPayment.map { " (\($0.points) points paid \(money($0.value)))" } ?? "")
                    + "  (\(items))")
        }
    }
}

/// Applies `change` to the phone's cart in one committed transaction and shows the result.
private func edit(
    _ phone: PhoneOptions, _ change: @escaping @Sendable (inout Cart, ReplicaID, HLCTimestamp) throws -> Cart
) async throws {
    let (node, customer) = try phone.open()
    defer { try? node.store.close() }
    do {
        try await node.store.updateCart(try phone.cartID, in: .customer(customer), change)
    } catch let error as CartError {
        throw CommandFailure("\(error)")
    }
    try printCart(phone, of: node, customer)
}

func parseSKU(_ text: String) throws -> SKU {
    do { return try SKU(text) } catch { throw ValidationError(error.description) }
}

func parseStore(_ text: String) throws -> StoreID {
    do { return try StoreID(text) } catch { throw ValidationError(error.description) }
}

/// Prints the phone's cart: its lines and totals in minor units, as the app would show them.
func printCart(_ phone: PhoneOptions, of node: ReplicaNode, _ customer: CustomerID) throws {
    let id = try phone.cartID
    guard let priced = try node.store.cart(id, in: .customer(customer)), !priced.cart.visibleLines.isEmpty else {
        print("cart \(id) is empty")
        return
    }
    let catalog = try node.store.catalog()
    let prices = Dictionary(priced.totals.lines.map { ($0.sku, $0) }, uniquingKeysWith: { first, _ in first })
    for line in priced.cart.visibleLines {
        let price = prices[line.sku].map { money($0.net) } ?? unpriced(line.sku, in: catalog)
        print("  \(line.sku)  × \(line.quantity)  \(price)")
    }
    print("  total \(money(priced.totals.total))  (\(priced.cart.phase.value))")
}

/// Why a line has no price: the phone has no catalog yet, or its catalog has no such SKU.
func unpriced(_ sku: SKU, in catalog: Catalog) -> String {
    if catalog.prices.keys.isEmpty { return "(no price yet: sync the catalog)" }
    if catalog.products[sku] == nil { return "(the catalog has no SKU \(sku): check its spelling)" }
    return "(the catalog gives no price for it)"
}

func money(_ minor: Int64) -> String {
    String(format: "%@%lld.%02lld", minor < 0 ? "-" : "", abs(minor) / 100, abs(minor) % 100)
}

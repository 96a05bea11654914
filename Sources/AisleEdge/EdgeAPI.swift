public import AisleCore
public import AisleCrypto
public import AisleNode
import AisleStore
import Foundation
public import Hummingbird

/// The till's local HTTP/JSON API (docs/edge-api.yaml), served on 127.0.0.1 by `aisle edge
/// serve`. Every write is one committed transaction on the edge's replica, then pushed to the
/// hub if connected (otherwise it waits in the log, and goes on the next connection).
public struct EdgeAPI: Sendable {
    public let node: ReplicaNode
    /// The store this edge belongs to (from its certificate).
    public let store: StoreID
    /// Called after each committed write with the scope it changed (the hub link's live push).
    let changed: @Sendable (Scope) async -> Void
    /// Whether the hub is connected now (for `/health`).
    let connected: @Sendable () async -> Bool
    /// Called after a handoff is accepted, to start using its grant on the sync links.
    let handedOff: @Sendable (HandoffGrant, Certificate) async -> Void

    public init(
        node: ReplicaNode, store: StoreID, changed: @escaping @Sendable (Scope) async -> Void,
        connected: @escaping @Sendable () async -> Bool,
        handedOff: @escaping @Sendable (HandoffGrant, Certificate) async -> Void
    ) {
        self.node = node
        self.store = store
        self.changed = changed
        self.connected = connected
        self.handedOff = handedOff
    }

    /// The routes, on a new router.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ in
            EdgeHealth(
                status: "ok", replica: node.store.replica.rawValue, store: store.rawValue,
                hubConnected: await connected())
        }
        // A new cart is only an id until its first line (or owner) is written: nothing to store.
        router.post("/v1/carts") { request, context in
            let body = try await request.decode(as: NewCart.self, context: context)
            let id = try Self.parse(CartID.self, body.id ?? "cart-\(UUID().uuidString.prefix(8).lowercased())")
            if let customer = body.customer {
                let owner = try Self.parse(CustomerID.self, customer)
                return try await edit(id) { cart, _, stamp in try cart.setOwner(owner, at: stamp) }
            }
            return try node.store.cart(id, in: .store(store)).map { CartView(id: id, $0) } ?? CartView(empty: id)
        }
        // A phone's handoff code: the till may now read and write the customer's cart, which
        // arrives from the hub (waited for here, up to 10 s).
        router.post("/v1/handoffs") { request, context in
            let body = try await request.decode(as: HandoffRequest.self, context: context)
            let handoff: Handoff
            do { handoff = try Handoff(code: body.code) } catch { throw HTTPError(.badRequest, message: "\(error)") }
            do { try await node.accept(handoff) } catch { throw HTTPError(.forbidden, message: "\(error)") }
            await handedOff(handoff.grant, handoff.grantor)
            guard let customer = handoff.customer else {
                throw HTTPError(.badRequest, message: "not a customer's cart")
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if let priced = try node.store.cart(handoff.cart, in: .customer(customer)) {
                    return HandoffView(customer: customer.rawValue, cart: CartView(id: handoff.cart, priced))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw HTTPError(
                .gatewayTimeout,
                message:
                    "cart \(handoff.cart) has not arrived from the hub yet: is the phone synced and the hub reachable?")
        }
        router.get("/v1/carts/:cart") { request, context in
            try cartView(try cartID(context), in: try home(request))
        }
        router.post("/v1/carts/:cart/lines") { request, context in
            let line = try await request.decode(as: NewLine.self, context: context)
            let sku = try Self.parse(SKU.self, line.sku)
            guard line.quantity > 0 else { throw HTTPError(.badRequest, message: "quantity must be at least 1") }
            return try await edit(try cartID(context), in: try home(request)) { cart, me, _ in
                try cart.add(sku, quantity: line.quantity, at: me)
            }
        }
        router.put("/v1/carts/:cart/lines/:sku") { request, context in
            let update = try await request.decode(as: LineQuantity.self, context: context)
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            guard update.quantity >= 0 else { throw HTTPError(.badRequest, message: "quantity cannot be negative") }
            return try await edit(try cartID(context), in: try home(request)) { cart, _, stamp in
                update.quantity == 0 ? try cart.remove(sku) : try cart.setQuantity(sku, to: update.quantity, at: stamp)
            }
        }
        router.delete("/v1/carts/:cart/lines/:sku") { request, context in
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            return try await edit(try cartID(context), in: try home(request)) { cart, _, _ in try cart.remove(sku) }
        }
        router.post("/v1/carts/:cart/checkout") { request, context in
            let id = try cartID(context)
            let body = try await request.decode(as: Checkout.self, context: context)
            let order = try Self.parse(OrderID.self, body.order ?? "order-\(id)")
            do {
                try await node.store.checkOut(id, in: .store(store), as: order, store: store)
            } catch let error as CartError {
                throw HTTPError(.conflict, message: "\(error)")
            }
            await changed(.store(store))
            guard let placed = try node.store.orders(in: .store(store)).first(where: { $0.id == order }) else {
                throw HTTPError(.internalServerError, message: "order \(order) not found after checkout")
            }
            return OrderView(placed)
        }
        router.get("/v1/stock/:sku") { _, context in
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            let level = try node.store.stockLevel(of: sku, in: store)
            return StockView(
                sku: sku.rawValue, store: store.rawValue, level: level.level, sellableHere: level.sellableHere)
        }
        router.post("/v1/stock/:sku/receipts") { request, context in
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            let receipt = try await request.decode(as: Receipt.self, context: context)
            guard receipt.units > 0 else { throw HTTPError(.badRequest, message: "units must be at least 1") }
            try await node.store.receiveStock(UInt64(receipt.units), of: sku, in: store)
            await changed(.store(store))
            let level = try node.store.stockLevel(of: sku, in: store)
            return StockView(
                sku: sku.rawValue, store: store.rawValue, level: level.level, sellableHere: level.sellableHere)
        }
        router.get("/v1/loyalty/:customer") { _, context in
            let customer = try Self.parse(CustomerID.self, context.parameters.require("customer"))
            let balance = try node.store.loyaltyBalance(of: customer)
            return LoyaltyView(
                customer: customer.rawValue, balance: balance.balance, redeemableHere: balance.redeemableHere)
        }
        return router
    }

    private func cartID(_ context: BasicRequestContext) throws -> CartID {
        try Self.parse(CartID.self, context.parameters.require("cart"))
    }

    /// Where a request's cart lives: the store's walk-in carts, or `?customer=ID` for a customer's
    /// own cart handed off to this till.
    private func home(_ request: Request) throws -> CartHome {
        guard let customer = request.uri.queryParameters.get("customer") else { return .store(store) }
        return .customer(try Self.parse(CustomerID.self, customer))
    }

    private func edit(
        _ id: CartID, in home: CartHome? = nil,
        _ change: @escaping @Sendable (inout Cart, ReplicaID, HLCTimestamp) throws -> Cart
    ) async throws -> CartView {
        let home = home ?? .store(store)
        do {
            try await node.store.updateCart(id, in: home, change)
        } catch let error as CartError {
            throw HTTPError(.conflict, message: "\(error)")
        } catch let error as NodeError {
            throw HTTPError(.forbidden, message: "\(error)")
        }
        await changed(home.scope)
        return try cartView(id, in: home)
    }

    private func cartView(_ id: CartID, in home: CartHome) throws -> CartView {
        guard let priced = try node.store.cart(id, in: home) else {
            throw HTTPError(.notFound, message: "no cart \(id) in \(home)")
        }
        return CartView(id: id, priced)
    }

    static func parse<Kind>(_: Identifier<Kind>.Type, _ text: String) throws -> Identifier<Kind> {
        do { return try Identifier<Kind>(text) } catch { throw HTTPError(.badRequest, message: error.description) }
    }
}

struct NewCart: Decodable {
    let id: String?
    let customer: String?
}
struct HandoffRequest: Decodable { let code: String }

struct HandoffView: ResponseEncodable {
    let customer: String
    let cart: CartView
}

struct NewLine: Decodable {
    let sku: String
    let quantity: Int64
}
struct LineQuantity: Decodable { let quantity: Int64 }
struct Checkout: Decodable { let order: String? }
struct Receipt: Decodable { let units: Int64 }

struct EdgeHealth: ResponseEncodable {
    let status: String
    let replica: String
    let store: String
    let hubConnected: Bool
}

/// A cart as the till shows it: lines with prices, totals in minor units.
struct CartView: ResponseEncodable {
    struct Line: Encodable {
        let sku: String
        let quantity: Int64
        let note: String?
        let unitPriceMinor: Int64?
        let netMinor: Int64?
    }

    let id: String
    let phase: String
    let owner: String?
    let lines: [Line]
    let subtotalMinor: Int64
    let discountMinor: Int64
    let totalMinor: Int64
    let points: Int64
    let unpriced: [String]

    /// A cart with nothing written yet.
    init(empty id: CartID) {
        self.id = id.rawValue
        phase = "open"
        owner = nil
        lines = []
        subtotalMinor = 0
        discountMinor = 0
        totalMinor = 0
        points = 0
        unpriced = []
    }

    init(id: CartID, _ priced: PricedCart) {
        self.id = id.rawValue
        let prices = Dictionary(priced.totals.lines.map { ($0.sku, $0) }, uniquingKeysWith: { first, _ in first })
        phase = "\(priced.cart.phase.value)"
        owner = priced.cart.owner.value?.rawValue
        lines = priced.cart.visibleLines.map { line in
            Line(
                sku: line.sku.rawValue, quantity: line.quantity, note: line.note,
                unitPriceMinor: prices[line.sku]?.unitPrice, netMinor: prices[line.sku]?.net)
        }
        subtotalMinor = priced.totals.subtotal
        discountMinor = priced.totals.discount
        totalMinor = priced.totals.total
        points = priced.totals.points
        unpriced = priced.totals.unpriced.map(\.rawValue)
    }
}

struct OrderView: ResponseEncodable {
    let id: String
    let cart: String
    let totalMinor: Int64
    let points: Int64

    init(_ order: Order) {
        id = order.id.rawValue
        cart = order.cart.rawValue
        totalMinor = order.totals.total
        points = order.totals.points
    }
}

struct StockView: ResponseEncodable {
    let sku: String
    let store: String
    let level: Int64
    let sellableHere: Int64
}

struct LoyaltyView: ResponseEncodable {
    let customer: String
    let balance: Int64
    let redeemableHere: Int64
}

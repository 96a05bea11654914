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
    /// Why the hub refused this till at its last handshake, if it did (``HubLink/refusal``).
    let refusal: @Sendable () -> String?
    /// Called after a handoff is accepted, to start using its grant on the sync links.
    let handedOff: @Sendable (HandoffGrant, Certificate) async -> Void
    /// The till's side of the hub's rights bank (stock and points).
    let desk: RightsDesk
    /// Subscribes to a scope on the hub link and waits for it (a customer's points account).
    let follow: @Sendable (Scope) async -> Void

    /// - Parameter desk: the till's side of the rights bank (by default, one without a hub link).
    public init(
        node: ReplicaNode, store: StoreID, changed: @escaping @Sendable (Scope) async -> Void,
        connected: @escaping @Sendable () async -> Bool, refusal: @escaping @Sendable () -> String? = { nil },
        handedOff: @escaping @Sendable (HandoffGrant, Certificate) async -> Void, desk: RightsDesk? = nil,
        follow: @escaping @Sendable (Scope) async -> Void = { _ in }
    ) {
        self.follow = follow
        self.node = node
        self.store = store
        self.changed = changed
        self.connected = connected
        self.refusal = refusal
        self.handedOff = handedOff
        self.desk = desk ?? RightsDesk(node: node) { nil }
    }

    /// The routes, on a new router.
    /// - Parameter routes: adds the process's own routes (`GET /metrics`, docs/operations.md).
    public func router(routes: (Router<BasicRequestContext>) -> Void = { _ in }) -> Router<BasicRequestContext> {
        let router = Router()
        routes(router)
        router.get("/health") { _, _ in
            // Offline is how a store works through a WAN outage; refused needs someone to act.
            let connected = await connected()
            let refusal = connected ? nil : refusal()
            return EdgeHealth(
                status: refusal == nil ? "ok" : "refused", replica: node.store.replica.rawValue,
                store: store.rawValue, hubConnected: connected, hubRefusal: refusal)
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
            guard line.quantity > 0, line.quantity <= RetailLimits.maxLineQuantity else {
                throw HTTPError(.badRequest, message: "\(CartError.invalidQuantity(line.quantity, sku: sku))")
            }
            return try await edit(try cartID(context), in: try home(request)) { cart, me, _ in
                try cart.add(sku, quantity: line.quantity, at: me)
            }
        }
        router.put("/v1/carts/:cart/lines/:sku") { request, context in
            let update = try await request.decode(as: LineQuantity.self, context: context)
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            guard update.quantity >= 0, update.quantity <= RetailLimits.maxLineQuantity else {
                throw HTTPError(.badRequest, message: "\(CartError.invalidQuantity(update.quantity, sku: sku))")
            }
            return try await edit(try cartID(context), in: try home(request)) { cart, _, stamp in
                update.quantity == 0 ? try cart.remove(sku) : try cart.setQuantity(sku, to: update.quantity, at: stamp)
            }
        }
        router.delete("/v1/carts/:cart/lines/:sku") { request, context in
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            return try await edit(try cartID(context), in: try home(request)) { cart, _, _ in try cart.remove(sku) }
        }
        addSellingRoutes(to: router)
        addReservationRoutes(to: router)
        addWishlistRoutes(to: router)
        return router
    }

    func cartID(_ context: BasicRequestContext) throws -> CartID {
        try Self.parse(CartID.self, context.parameters.require("cart"))
    }

    /// Where a request's cart lives: the store's walk-in carts, or `?customer=ID` for a customer's
    /// own cart handed off to this till.
    func home(_ request: Request) throws -> CartHome {
        guard let customer = request.uri.queryParameters.get("customer") else { return .store(store) }
        return .customer(try Self.parse(CustomerID.self, customer))
    }

    private func edit(
        _ id: CartID, in home: CartHome? = nil,
        _ change: @escaping @Sendable (inout Cart, ReplicaID, HLCTimestamp) throws -> Cart
    ) async throws -> CartView {
        let home = home ?? .store(store)
        if case .customer(let customer) = home { try requireHandoff(customer) }
        do {
            try await node.store.updateCart(id, in: home, change)
        } catch let error as CartError {
            // A quantity out of range is the request's fault; the rest (closed, no such line)
            // are the cart's state.
            if case .invalidQuantity = error { throw HTTPError(.badRequest, message: "\(error)") }
            throw HTTPError(.conflict, message: "\(error)")
        } catch let error as NodeError {
            throw HTTPError(.forbidden, message: "\(error)")
        }
        await changed(home.scope)
        return try cartView(id, in: home)
    }

    /// Refuses a write to `customer`'s scope this till cannot seal (the customer has not handed
    /// it a cart) or may no longer make (the handoff has ended: no peer would take the change).
    func requireHandoff(_ customer: CustomerID) throws {
        guard node.canSeal(.customer(customer)) else {
            throw HTTPError(
                .forbidden,
                message: "customer \(customer) has not handed a cart to this till: scan their handoff code first")
        }
        guard node.mayWrite(.customer(customer)) else {
            throw HTTPError(
                .forbidden,
                message:
                    "customer \(customer)'s handoff to this till has ended: scan a new handoff code from their phone")
        }
    }

    func cartView(_ id: CartID, in home: CartHome) throws -> CartView {
        guard let priced = try node.store.cart(id, in: home) else {
            throw HTTPError(.notFound, message: "no cart \(id) in \(home)")
        }
        return CartView(id: id, priced)
    }

    static func parse<Kind>(_: Identifier<Kind>.Type, _ text: String) throws -> Identifier<Kind> {
        do { return try Identifier<Kind>(text) } catch { throw HTTPError(.badRequest, message: error.description) }
    }
}

import AisleCore
import AisleNode
import AisleStore
import Foundation
import Hummingbird

/// The routes that spend rights: checkout, sales, receipts and returns, points. Each is decided on
/// the till within the rights it holds; when it holds too few and the hub is reachable, it asks
/// the hub first (at most ``RightsDesk/timeout``), keeps what the sale needs until it is written
/// (``RightsDesk/spending(_:_:)``), and afterwards hands in what it holds beyond its share, off
/// the request's path.
extension EdgeAPI {
    func addSellingRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/carts/:cart/checkout") { request, context in
            let id = try cartID(context)
            let home = try home(request)
            let body = try await request.decode(as: Checkout.self, context: context)
            let order = try Self.parse(OrderID.self, body.order ?? "order-\(id)")
            let points = try body.points()
            if case .customer(let customer) = home { try requireHandoff(customer) }
            guard let priced = try node.store.cart(id, in: home) else {
                throw HTTPError(.notFound, message: "no cart \(id) in \(home)")
            }
            var keys = priced.totals.lines.map { stockKey($0.sku) }
            // The points go to the customer's account (the cart's owner, or the customer whose own
            // cart it is): follow it on the hub link, and so the hub follows this till's changes there.
            let customer = priced.cart.owner.value ?? home.customer
            if let customer { await follow(.loyalty(customer)) }
            // Points worth more than the order are refused before any rights are asked for.
            let payment = PointsPayment(redeeming: points)
            if points > 0, payment.value > priced.totals.total {
                let error = PointsPaymentError.exceedsTotal(
                    points: points, value: payment.value, total: priced.totals.total)
                throw HTTPError(.badRequest, message: "\(error)")
            }
            var spent: [ObjectKey: UInt64] = [:]
            for line in priced.totals.lines { spent[stockKey(line.sku), default: 0] += UInt64(max(0, line.quantity)) }
            if let customer { spent[.account(of: customer)] = points }
            do {
                try await desk.spending(spent) {
                    try await node.store.checkOut(id, in: home, as: order, sellingFrom: store, redeeming: points)
                }
            } catch let error as CartError {
                throw HTTPError(.conflict, message: "\(error)")
            } catch let error as StockError {
                throw await refusal(error)
            } catch let error as PointsPaymentError {
                throw HTTPError(.badRequest, message: "\(error)")
            } catch let error as LoyaltyError {
                // Only a customer's points can run short, so there is one here.
                guard let customer else { throw error }
                throw HTTPError(.conflict, message: await desk.explain(error.shortfall, of: .account(of: customer)))
            }
            await changed(home.scope)
            await changed(.store(store))
            if let customer {
                await changed(.loyalty(customer))
                keys.append(.account(of: customer))
            }
            rebalanceLater(keys)
            guard let placed = try node.store.order(order, in: home) else {
                throw HTTPError(.internalServerError, message: "order \(order) not found after checkout")
            }
            return OrderView(placed)
        }
        router.get("/v1/orders/:order") { request, context in
            let id = try Self.parse(OrderID.self, context.parameters.require("order"))
            guard let order = try node.store.order(id, in: try home(request)) else {
                throw HTTPError(.notFound, message: "no order \(id) here")
            }
            return OrderView(order)
        }
        router.get("/v1/stock/:sku") { _, context in
            try stockView(try Self.parse(SKU.self, context.parameters.require("sku")))
        }
        // A sale outside a cart (a quick sale at the till) or goods sent to another store.
        router.post("/v1/stock/:sku/sales") { request, context in
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            let units = try await request.decode(as: Units.self, context: context).positive()
            let key = stockKey(sku)
            do {
                try await desk.spending([key: units]) { try await node.store.sell(units, of: sku, in: store) }
            } catch let error as StockError {
                throw await refusal(error)
            }
            await changed(.store(store))
            rebalanceLater([key])
            return try stockView(sku)
        }
        // Goods received, a customer return, or goods arriving from another store: this till
        // gains the rights, and hands what it holds beyond its share to the hub.
        router.post("/v1/stock/:sku/receipts") { request, context in
            let sku = try Self.parse(SKU.self, context.parameters.require("sku"))
            let units = try await request.decode(as: Units.self, context: context).positive()
            try await node.store.receiveStock(units, of: sku, in: store)
            await changed(.store(store))
            rebalanceLater([stockKey(sku)])
            return try stockView(sku)
        }
        router.get("/v1/loyalty/:customer") { _, context in
            let customer = try Self.parse(CustomerID.self, context.parameters.require("customer"))
            await follow(.loyalty(customer))
            return try loyaltyView(customer)
        }
        router.post("/v1/loyalty/:customer/redemptions") { request, context in
            let customer = try Self.parse(CustomerID.self, context.parameters.require("customer"))
            let points = try await request.decode(as: Points.self, context: context).positive()
            let key = ObjectKey.account(of: customer)
            await follow(.loyalty(customer))
            do {
                try await desk.spending([key: points]) { try await node.store.redeemPoints(points, of: customer) }
            } catch let error as LoyaltyError {
                throw HTTPError(.conflict, message: await desk.explain(error.shortfall, of: key))
            }
            await changed(.loyalty(customer))
            rebalanceLater([key])
            return try loyaltyView(customer)
        }
    }

    private func stockKey(_ sku: SKU) -> ObjectKey { .stock(sku, at: store) }

    /// A sale refused for want of rights, as the cashier reads it: what is left, where, what to do.
    private func refusal(_ error: StockError) async -> HTTPError {
        HTTPError(.conflict, message: await desk.explain(error.shortfall, of: stockKey(error.sku)))
    }

    private func stockView(_ sku: SKU) throws -> StockView {
        let level = try node.store.stockLevel(of: sku, in: store)
        return StockView(sku: sku.rawValue, store: store.rawValue, level: level.level, sellableHere: level.sellableHere)
    }

    private func loyaltyView(_ customer: CustomerID) throws -> LoyaltyView {
        let balance = try node.store.loyaltyBalance(of: customer)
        return LoyaltyView(
            customer: customer.rawValue, balance: balance.balance, redeemableHere: balance.redeemableHere)
    }

    /// Rebalances the rights of `keys` with the hub after the response is on its way.
    private func rebalanceLater(_ keys: [ObjectKey]) {
        let desk = self.desk
        let changed = self.changed
        Task {
            guard let wrote = try? await desk.rebalance(keys) else { return }
            for scope in wrote { await changed(scope) }
        }
    }
}

struct Units: Decodable {
    let units: Int64

    func positive() throws -> UInt64 {
        try inRange(units, .units)
    }
}

struct Points: Decodable {
    let points: Int64

    func positive() throws -> UInt64 {
        try inRange(points, .points)
    }
}

/// `amount` as one edit of stock or points may take it (1 to ``RetailLimits/maxUnits``).
/// - Throws: 400 Bad Request otherwise.
private func inRange(_ amount: Int64, _ what: AmountOutOfRange.What) throws -> UInt64 {
    guard amount > 0, UInt64(amount) <= RetailLimits.maxUnits else {
        throw HTTPError(.badRequest, message: AmountOutOfRange.describe(amount, what))
    }
    return UInt64(amount)
}

import AisleCore
import AisleStore
import Hummingbird

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
struct Checkout: Decodable {
    let order: String?
    /// Points of the customer's to redeem as part payment (none when absent).
    let redeemPoints: Int64?

    func points() throws -> UInt64 {
        guard let redeemPoints else { return 0 }
        guard redeemPoints >= 0 else { throw HTTPError(.badRequest, message: "redeemPoints cannot be negative") }
        return UInt64(redeemPoints)
    }
}

struct EdgeHealth: ResponseEncodable {
    /// `ok`, or `refused` while the hub refuses this till's handshake (``hubRefusal`` says why).
    let status: String
    let replica: String
    let store: String
    let hubConnected: Bool
    /// Why the hub refused this till at its last attempt (revoked, expired, …); absent otherwise.
    let hubRefusal: String?
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
    /// Points earned.
    let points: Int64
    /// Points redeemed as part payment, and what they paid.
    let pointsRedeemed: UInt64
    let pointsValueMinor: Int64
    /// What is left to pay: the total less what the points paid.
    let amountDueMinor: Int64

    init(_ order: Order) {
        id = order.id.rawValue
        cart = order.cart.rawValue
        totalMinor = order.totals.total
        points = order.totals.points
        pointsRedeemed = order.pointsPayment?.points ?? 0
        pointsValueMinor = order.pointsPayment?.value ?? 0
        amountDueMinor = order.amountDue
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

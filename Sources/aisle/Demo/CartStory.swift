import AisleCore
import AisleTesting

/// The in-memory demo: a phone, a till and the hub editing one cart, partitioned and healed.
struct CartStory {
    static let cart: CartID = "cart-1"
    /// Anna's own cart: it lives in her customer scope, so it follows her from phone to till.
    static let home = CartHome.customer("anna")
    static let milk: SKU = "milk-1l"
    static let bread: SKU = "bread-sourdough"
    static let coffee: SKU = "coffee-beans-500g"

    let fullDigests: Bool
    private var clock = ManualClock()
    private var phone = SimulatedReplica(id: "phone-anna")
    private var till = SimulatedReplica(id: "till-berlin-1")
    private var hub = SimulatedReplica(id: "hub")
    private(set) var converged = false

    init(fullDigests: Bool) {
        self.fullDigests = fullDigests
    }

    mutating func play() throws {
        print("Aisle demo: a phone, a till and the hub edit one cart (in memory)")

        step(1, "the hub publishes the catalog (head office's prices and a promotion)")
        try perform(on: \.hub) { state, stamp in
            var delta = RetailState()
            for (sku, name, price) in [
                (Self.milk, "Milk 1 l", 129 as Int64), (Self.bread, "Sourdough", 349),
                (Self.coffee, "Coffee 500 g", 899),
            ] {
                delta.join(state.updateCatalog { $0.setProduct(sku, Product(name: name), at: stamp) })
                delta.join(try state.updateCatalog { try $0.setPrice(sku, price, at: stamp) })
            }
            delta.join(
                try state.updateCatalog {
                    try $0.setPromotion("coffee-10", .percentOff(Self.coffee, basisPoints: 1_000), at: stamp)
                })
            return delta
        }
        sync(\.phone, from: \.hub)
        sync(\.till, from: \.hub)
        print("   milk 1.29, sourdough 3.49, coffee 8.99 with 10 % off; phone and till sync with the hub")

        step(2, "Anna starts a cart on her phone")
        try perform(on: \.phone) { state, _ in
            var delta = try state.updateCart(Self.cart, in: Self.home) {
                try $0.add(Self.milk, quantity: 2, at: "phone-anna")
            }
            delta.join(
                try state.updateCart(Self.cart, in: Self.home) {
                    try $0.add(Self.coffee, quantity: 1, at: "phone-anna")
                })
            return delta
        }
        show("phone", phone)

        step(3, "at the store the till scans her handoff and pulls the cart through the hub")
        sync(\.hub, from: \.phone)
        sync(\.till, from: \.hub)
        show("till", till)

        step(4, "the phone loses its connection; both sides keep editing")
        try perform(on: \.phone) { state, _ in
            var delta = try state.updateCart(Self.cart, in: Self.home) {
                try $0.add(Self.bread, quantity: 1, at: "phone-anna")
            }
            delta.join(try state.updateCart(Self.cart, in: Self.home) { try $0.remove(Self.coffee) })
            return delta
        }
        print("   phone: adds a sourdough, removes the coffee")
        try perform(on: \.till) { state, stamp in
            var delta = try state.updateCart(Self.cart, in: Self.home) {
                try $0.add(Self.coffee, quantity: 1, at: "till-berlin-1")
            }
            delta.join(
                try state.updateCart(Self.cart, in: Self.home) { try $0.setQuantity(Self.milk, to: 3, at: stamp) })
            return delta
        }
        print("   till:  scans a second coffee, sets milk to 3")
        sync(\.hub, from: \.till)
        show("phone", phone)
        show("till", till)
        show("hub", hub)

        step(5, "the connection returns; every replica pulls what it lacks")
        for _ in 0..<2 {
            sync(\.hub, from: \.phone)
            sync(\.phone, from: \.hub)
            sync(\.till, from: \.hub)
        }
        show("phone", phone)
        show("till", till)
        show("hub", hub)
        let digests = Set([phone, till, hub].map(\.state.digest))
        converged = digests.count == 1
        print(
            converged
                ? "   converged: all three hold state \(digests.first!.short). The coffee the till scanned "
                    + "survives the phone's remove (add wins);\n   milk is 3 as the till set it; the sourdough "
                    + "added offline is there."
                : "   NOT converged: \(digests.count) different states")

        step(6, "the till checks out: the cart is sealed into an order with its prices locked")
        try perform(on: \.till) { state, stamp in
            try state.checkOut(Self.cart, in: Self.home, as: "order-berlin-1-0001", store: "berlin-1", at: stamp)
        }
        if let order = till.state.shopping(in: Self.home).orders.orders["order-berlin-1-0001"] {
            print("   order \(order.id): \(Money(order.totals.total)) paid, \(order.totals.points) points earned")
        }
        try perform(on: \.phone) { state, _ in
            try state.updateCart(Self.cart, in: Self.home) { try $0.add(Self.milk, quantity: 1, at: "phone-anna") }
        }
        print("   meanwhile the phone, not yet synced, adds one more milk")
        sync(\.hub, from: \.till)
        sync(\.hub, from: \.phone)
        sync(\.phone, from: \.hub)
        sync(\.till, from: \.hub)
        show("phone", phone)
        show("till", till)
        let settled = Set([phone, till, hub].map(\.state.digest))
        converged = converged && settled.count == 1
        print("   the late milk is kept apart and reported, not charged: the order stands as paid")
    }

    // MARK: Helpers

    private mutating func perform(
        on replica: WritableKeyPath<CartStory, SimulatedReplica>,
        _ mutation: (inout RetailState, HLCTimestamp) throws -> RetailState
    ) throws {
        clock.advance(by: 1_000)
        let wall = clock.now
        try self[keyPath: replica].perform(wallMillis: wall, mutation)
    }

    private mutating func sync(
        _ replica: WritableKeyPath<CartStory, SimulatedReplica>, from peer: KeyPath<CartStory, SimulatedReplica>
    ) {
        clock.advance(by: 200)
        let source = self[keyPath: peer]
        let wall = clock.now
        self[keyPath: replica].pull(from: source, wallMillis: wall)
    }

    private func step(_ number: Int, _ text: String) {
        print("\n\(number). \(text)")
    }

    private func show(_ name: String, _ replica: SimulatedReplica) {
        let cart = replica.state.cart(Self.cart, in: Self.home)
        let totals = cart.priced(with: replica.state.catalog)
        let lines = cart.visibleLines.map { line in
            let product = replica.state.catalog.products[line.sku]?.name ?? line.sku.rawValue
            return "\(product) ×\(line.quantity)"
        }
        let digest = fullDigests ? replica.state.digest.hex : replica.state.digest.short
        let padded = name + ":" + String(repeating: " ", count: max(1, 7 - name.count - 1))
        print(
            "   \(padded)\(lines.isEmpty ? "(empty)" : lines.joined(separator: ", ")) | total \(Money(totals.total))"
                + " | \(cart.phase.value) | state \(digest)")
        if !cart.lateEdits.isEmpty {
            print(
                "          edits after checkout, not applied: \(cart.lateEdits.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }
}

/// Minor units shown as a decimal amount (two decimals).
struct Money: CustomStringConvertible {
    let minorUnits: Int64

    init(_ minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    var description: String {
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}

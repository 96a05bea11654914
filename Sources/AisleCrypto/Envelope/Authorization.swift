public import AisleCore

/// The role × scope × operation matrix of docs/security.md, applied to every delta received.
public enum Authorization {
    /// Whether `role` may write `scope` at all (the certificate's grants must cover it too).
    public static func mayWrite(_ role: Role, _ scope: Scope) -> Bool {
        switch (role, scope) {
        case (.hq, _): true
        case (.hub, .store), (.hub, .loyalty): true
        case (.pos, .store), (.pos, .customer), (.pos, .loyalty): true
        case (.kiosk, .store), (.kiosk, .customer), (.kiosk, .loyalty): true
        case (.mobile, .customer), (.mobile, .loyalty): true
        default: false
        }
    }

    /// Whether a device may be sent the envelopes of `scope`: its grants cover the scope, or it is
    /// the hub, which relays every scope (customer scopes unread: it holds no customer key), or
    /// head office.
    public static func mayReceive(_ body: CertificateBody, _ scope: Scope) -> Bool {
        body.role == .hub || body.role == .hq || body.scopes.contains { $0.covers(scope) }
    }

    /// Checks each object of `delta` against what `role` may do, and that `origin` writes only
    /// in its own name.
    public static func check(_ delta: ObjectDelta, by role: Role, origin: ReplicaID) throws(EnvelopeRefusal) {
        // The hub changes stock counts only to set units aside for a reservation or put them back.
        let movesReservation = delta.objects.values.contains { if case .reservation = $0 { true } else { false } }
        for (key, value) in delta.objects {
            switch value {
            case .product, .price, .promotion, .storeInfo, .storeHours, .revocation, .renewal:
                guard role == .hq else { throw .unauthorized("a \(role) may not change the catalog (\(key))") }
            case .stock(let counter):
                guard role != .mobile else { throw .unauthorized("a phone may not change stock (\(key))") }
                if role == .hub, !movesReservation,
                    !(counter.counts.increments.isEmpty && counter.counts.decrements.isEmpty)
                {
                    throw .unauthorized(
                        "the hub may only move stock rights, or set units aside for a reservation (\(key))")
                }
                try ownEntries(counter, origin: origin, key: key)
            case .account(let account):
                if role == .mobile || role == .hub, !account.points.counts.increments.isEmpty {
                    throw .unauthorized("a \(role) may not earn points (\(key))")
                }
                if role == .hub, !account.points.counts.decrements.isEmpty {
                    throw .unauthorized("the hub may only move points rights, not redeem (\(key))")
                }
                try ownEntries(account.points, origin: origin, key: key)
            case .cart(let cart):
                guard role != .hub else { throw .unauthorized("the hub may not edit carts (\(key))") }
                try ownWrites(cart, origin: origin, key: key)
            case .reservation(let reservation):
                guard role == .hub || role == .hq || role.isStoreTerminal else {
                    throw .unauthorized("a \(role) may not change a reservation (\(key)): ask the hub")
                }
                if let terms = reservation.terms {
                    guard role == .hub || role == .hq else {
                        throw .unauthorized("only the hub places reservations (\(key))")
                    }
                    guard terms.placedAt.replica == origin else {
                        throw .unauthorized("reservation \(key) claims to be placed by \(terms.placedAt.replica)")
                    }
                }
            case .wishlist(let wishlist):
                guard role != .hub else { throw .unauthorized("the hub may not edit wishlists (\(key))") }
                let foreign = wishlist.items.state.store.dots.filter { $0.replica != origin }
                guard foreign.isEmpty else {
                    throw .unauthorized(
                        "\(origin) wrote wishlist items as \(Set(foreign.map(\.replica)).sorted()) (\(key))")
                }
            case .reservationNote:
                // The hub holds no customer key; a phone or a till after a handoff keeps the note.
                guard role != .hub else { throw .unauthorized("the hub may not write a customer's notes (\(key))") }
            case .order(let order):
                guard role != .hub else { throw .unauthorized("the hub may not place orders (\(key))") }
                guard order.placedAt.replica == origin else {
                    throw .unauthorized("order \(key) claims to be placed by \(order.placedAt.replica)")
                }
            }
        }
    }

    /// A bounded counter delta may only carry the origin's own additions, subtractions and gifts.
    private static func ownEntries(_ counter: BoundedCounter, origin: ReplicaID, key: ObjectKey) throws(EnvelopeRefusal)
    {
        // Checked without building the set of writers: this runs for every stock delta received.
        let own =
            counter.counts.increments.keys.allSatisfy { $0 == origin }
            && counter.counts.decrements.keys.allSatisfy { $0 == origin }
            && counter.transfers.keys.allSatisfy { $0.from == origin }
        guard !own else { return }
        let writers = Set(counter.counts.increments.keys).union(counter.counts.decrements.keys)
            .union(counter.transfers.keys.map(\.from))
        throw .unauthorized(
            "\(origin) wrote counter entries in the name of \(writers.subtracting([origin]).sorted()) (\(key))")
    }

    /// A cart delta's new writes must carry the origin's dots and stamps (a checkout's sealed copy
    /// of the lines may carry anyone's).
    private static func ownWrites(_ cart: Cart, origin: ReplicaID, key: ObjectKey) throws(EnvelopeRefusal) {
        let foreignDots = cart.lines.store.dots.filter { $0.replica != origin }
        guard foreignDots.isEmpty else {
            throw .unauthorized("\(origin) wrote cart lines as \(Set(foreignDots.map(\.replica)).sorted()) (\(key))")
        }
        for line in cart.lines.store.entries.values {
            let stamps =
                line.quantity.entries.values.compactMap(\.assignedAt) + line.note.entries.values.compactMap(\.stamp)
            if let foreign = stamps.first(where: { $0.replica != origin }) {
                throw .unauthorized("\(origin) stamped a cart line as \(foreign.replica) (\(key))")
            }
        }
        if let stamp = cart.owner.stamp, stamp.replica != origin {
            throw .unauthorized("\(origin) set the cart owner as \(stamp.replica) (\(key))")
        }
        if cart.sealed != .bottom, cart.phase.value != .checkedOut {
            throw .unauthorized("sealed lines without a checkout (\(key))")
        }
    }
}

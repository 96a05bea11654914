public import AisleCore
import AisleCrypto
import AisleStore
import AisleSync

/// Rights recall (docs/sync.md, "Rights recall"): a reservation the hub cannot cover from its own
/// stock rights, when the store's units sit in its tills' rights. The hub asks the store's tills
/// connected now to hand in what they can spare (``RightsPolicy/spare(_:at:hub:asked:)``: what a
/// till holds beyond the refill floor of its share, less what its sales under way need), and
/// places the reservation with what came in.
/// A till that is offline does not answer, and the reservation is refused as before.
extension ReplicaNode {
    /// A till's answer to the hub's recall: hands the hub what it can spare of each SKU of `store`,
    /// up to `lines`, in its own changes, which the reply carries.
    func handIn(_ lines: [SKU: UInt64], at store: StoreID, to peer: Certificate) async -> (SyncReply, Scope?) {
        guard peer.body.role == .hub else { return (.refused("only the hub recalls stock rights"), nil) }
        let role = identity.certificate.body.role
        guard role.isStoreTerminal else { return (.refused("a \(role) holds no stock rights to hand in"), nil) }
        let hub = peer.body.device
        let me = self.store.replica
        let policy = RightsPolicy.stock
        let pending = pendingSales
        var handed: UInt64 = 0
        var first: Acknowledgement?
        do {
            for (sku, asked) in lines.sorted(by: { $0.key < $1.key }) {
                let key = ObjectKey.stock(sku, at: store)
                // What it can spare beyond its floor and the sales under way here, at most `asked`.
                let (units, acknowledgements) = try await self.store.transferRights(of: key, to: hub) {
                    min(asked, pending.beyond(of: key, policy.spare($0, at: me, hub: hub, asked: .max)))
                }
                handed += units
                if first == nil { first = acknowledgements.first }
            }
            guard let first else { return (.granted(units: 0, envelopes: []), nil) }
            return (.granted(units: handed, envelopes: try await sealOwn(since: first)), .store(store))
        } catch {
            return (.refused("\(error)"), nil)
        }
    }
}

/// Where the hub asks the tills of a store for stock rights a reservation lacks: its connections
/// to them (AisleHub).
public protocol RightsRecall: Sendable {
    /// Asks the tills of `store` connected now to hand in spare stock rights, `lines` units per
    /// SKU in all, until `deadline`; what they hand in is applied before this returns. A till that
    /// does not answer in time is passed over.
    ///
    /// - Returns: the units handed in (0: none came).
    func recall(_ lines: [SKU: UInt64], at store: StoreID, until deadline: ContinuousClock.Instant) async -> UInt64
}

public import AisleCore
public import AisleCrypto
import AisleStore
import Synchronization

/// Which scopes a node shares with a peer: those it subscribes to from the start, those it
/// follows back, those a till hands over to the hub.
extension ReplicaNode {
    /// The scopes to subscribe to with `peer` from the start, each one both sides may receive
    /// (docs/security.md, docs/sync.md "Following a scope met later"):
    /// - with a hub, the archive of every scope: every scope this node holds, and every scope
    ///   either side is granted by name or by a customer's handoff;
    /// - with any other device (head office too, which may receive every scope and needs the
    ///   catalog): only the scopes either side is granted by name or by a handoff. A
    ///   till that may hold every points account (`loyalty:*`) holds those of the customers it met,
    ///   and subscribes to them itself; the other side follows back (``mayShare(_:with:)``).
    ///   Offering it every account this node holds made each till a replica of every account of
    ///   the chain, and the hub's first subscription to it grew by about 29 bytes an account
    ///   (85,931 bytes at 3,000): past about 36,000 accounts it outgrew a frame, and the session
    ///   failed.
    ///
    /// So a hub reads only the names in the two certificates and its handoff grants for a device,
    /// never every scope it holds.
    public func scopes(sharedWith peer: Certificate) throws -> [Scope] {
        let own = identity.certificate.body
        var candidates: Set<Scope> = []
        for grant in own.scopes + peer.body.scopes {
            if case .exactly(let scope) = grant { candidates.insert(scope) }
        }
        if peer.body.role == .hub { candidates.formUnion(try store.scopes()) }
        let now = store.wallClock()
        return trust.withLock { trust in
            // Handoff grants let only a till or kiosk hold a customer's scope
            // (``TrustStore/isGranted(_:to:at:)``); a hub's offer to a phone reads none of them.
            if own.role.isStoreTerminal || peer.body.role.isStoreTerminal { candidates.formUnion(trust.grants.keys) }
            return candidates.filter { Self.receives(own, $0, trust, now) && Self.receives(peer.body, $0, trust, now) }
                .sorted()
        }
    }

    /// The scopes whose changes of its own a till or kiosk hands over to the hub without
    /// subscribing (docs/sync.md, "Handing over"): those it may no longer receive (a customer's
    /// scope after the handoff grant ended, with the till offline meanwhile) in which the hub has
    /// not acknowledged all its changes. None to any other peer, and none from any other role.
    public func scopes(handedOverTo peer: Certificate) throws -> [Scope] {
        let own = identity.certificate.body
        guard own.role.isStoreTerminal, peer.body.role == .hub else { return [] }
        let ahead = try store.customerScopesAheadOfArchive(
            pending: acknowledgements.withLock { Array($0.pending.values) })
        guard !ahead.isEmpty else { return [] }
        let now = store.wallClock()
        return trust.withLock { trust in ahead.filter { !Self.receives(own, $0, trust, now) } }
    }

    /// Whether this node takes the changes a peer hands over (``SyncAction/offered(_:_:)``): only
    /// a hub, which archives every scope.
    public var takesHandOver: Bool { identity.certificate.body.role == .hub }

    /// Whether this node and `peer` may both receive `scope`: a peer that subscribed to a scope
    /// this side has not (one it met later) is followed back then.
    public func mayShare(_ scope: Scope, with peer: Certificate) -> Bool {
        let now = store.wallClock()
        return trust.withLock { trust in
            Self.receives(identity.certificate.body, scope, trust, now) && Self.receives(peer.body, scope, trust, now)
        }
    }

    private static func receives(_ body: CertificateBody, _ scope: Scope, _ trust: TrustStore, _ now: UInt64) -> Bool {
        Authorization.mayReceive(body, scope) || trust.isGranted(scope, to: body, at: now)
    }
}

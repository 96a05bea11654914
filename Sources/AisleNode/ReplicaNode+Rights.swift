public import AisleCore
public import AisleCrypto
import AisleStore
public import AisleSync

/// The hub's side of the rights bank (docs/sync.md, "Rights bank"): a device asks for rights to a
/// store's stock of one SKU or to a customer's points, and the hub hands over what it holds, up to
/// what was asked, as a change of its own that the reply carries.
extension ReplicaNode {
    /// Answers a peer's question. Only the hub banks rights; stock rights go to tills and kiosks,
    /// points rights to them and to the customer's phones.
    ///
    /// - Returns: the reply, and the counter and units granted when a change was written.
    public func serve(_ request: SyncRequest, from peer: Certificate) async -> (SyncReply, (ObjectKey, UInt64)?) {
        switch request {
        case .rights(let key, let units):
            do {
                return try await grant(units, of: key, to: peer)
            } catch {
                return (.refused("rights to \(key): \(error)"), nil)
            }
        }
    }

    private func grant(_ units: UInt64, of key: ObjectKey, to peer: Certificate) async throws -> (
        SyncReply, (ObjectKey, UInt64)?
    ) {
        guard identity.certificate.body.role == .hub else {
            return (.refused("a \(identity.certificate.body.role) banks no rights: ask the hub"), nil)
        }
        let role = peer.body.role
        switch key.kind {
        case .stock where role == .pos || role == .kiosk: break
        case .account where role == .pos || role == .kiosk || role == .mobile: break
        case .stock, .account:
            return (.refused("a \(role) may not spend \(key.kind == .stock ? "stock" : "points")"), nil)
        default:
            return (.refused("a \(key.kind) holds no rights"), nil)
        }
        let policy = RightsPolicy.policy(for: key.kind)
        let hub = store.replica
        let (granted, acknowledgements) = try await store.transferRights(of: key, to: peer.body.device) {
            policy.grant($0, asked: units, hub: hub)
        }
        guard let acknowledgement = acknowledgements.first else { return (.granted(units: 0, envelopes: []), nil) }
        // The grant's own change (and any later one of this node's), sealed as every send is.
        var before = try store.versionVector(of: key.scope).entries
        before[hub] = acknowledgement.seq - 1
        let envelopes = try await envelopes(in: key.scope, missingFrom: VersionVector(before))
        return (.granted(units: granted, envelopes: envelopes), (key, granted))
    }
}

/// Where a device asks for rights: its live link to the hub.
public protocol RightsBank: Sendable {
    /// The hub's replica while it can be asked now; nil while it is unreachable.
    func bankReplica() async -> ReplicaID?
    /// Asks the hub; a grant's envelopes are applied before this returns.
    /// - Throws: when the link is down or drops, or the hub does not answer within `timeout`.
    func ask(_ request: SyncRequest, timeout: Duration) async throws -> SyncReply
}

extension SyncConnection: RightsBank {
    public func bankReplica() async -> ReplicaID? {
        guard let peer, peer.body.role == .hub, ended == nil else { return nil }
        return peer.body.device
    }

    public func ask(_ request: SyncRequest, timeout: Duration) async throws -> SyncReply {
        try await withThrowingTaskGroup(of: SyncReply.self) { group in
            group.addTask { try await self.ask(request) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RightsUnavailable.noAnswer(timeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// Why a device could not reach the rights bank.
public enum RightsUnavailable: Error, CustomStringConvertible {
    case noAnswer(Duration)
    case offline

    public var description: String {
        switch self {
        case .noAnswer(let timeout): "the hub did not answer within \(timeout)"
        case .offline: "the hub is not reachable"
        }
    }
}

extension SyncConnection {
    /// The stores whose stock the peer spends: a till's or kiosk's own stores (by name in its
    /// certificate); none for other peers.
    public func stores() -> [StoreID] {
        guard let peer, peer.body.role == .pos || peer.body.role == .kiosk else { return [] }
        return peer.body.scopes.compactMap { grant in
            if case .exactly(.store(let store)) = grant { return store }
            return nil
        }
    }
}

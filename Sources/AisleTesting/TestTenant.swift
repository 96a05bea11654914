public import AisleCore
public import AisleCrypto
public import AisleNode
public import AisleStore

/// A tenant for tests and benchmarks: its admin secrets, and nodes on disk in a temporary
/// directory, each with its certificate and the scope keys (epoch 1) its role may hold, derived
/// from the tenant root as enrolment would.
public final class TestTenant: Sendable {
    /// The wall clock tests run at (2026-01-01), unless a node is given another.
    public static let now: UInt64 = 1_767_225_600_000
    public let admin = AdminSecrets()
    public let directory: TemporaryDirectory

    public init(prefix: String = "node-test") throws {
        directory = try TemporaryDirectory(prefix: prefix)
    }

    /// A certificate for `device`, signed by the tenant's admin, valid until `notAfter` (a day
    /// past ``now`` unless told).
    public func certificate(
        _ device: ReplicaID, _ role: Role, _ scopes: [ScopeGrant], _ keys: SigningKeyPair,
        notAfter: UInt64 = TestTenant.now + 86_400_000
    ) -> Certificate {
        Certificate(
            signing: CertificateBody(
                tenant: "acme", device: device, role: role, scopes: scopes, signingKey: keys.publicKey,
                boxKey: BoxKeyPair().publicKey, notAfter: notAfter),
            with: admin.signing)
    }

    /// What `device` trusts: the tenant's admin, `certificates`, and the keys of `scopes`.
    public func trust(keys scopes: [Scope], certificates: [Certificate]) throws -> TrustStore {
        var trust = TrustStore(tenant: "acme", admin: admin.signing.publicKey)
        for certificate in certificates { try trust.add(certificate) }
        for scope in scopes { trust.hold(try admin.root.scopeKey(for: scope, epoch: 1), for: scope, epoch: 1) }
        return trust
    }

    /// A node for `device` holding keys for `scopes`; `peers` are the certificates it trusts. It
    /// reads `wallClock` (``now`` unless told; a node on the system clock needs a certificate
    /// valid now: pass `notAfter`).
    public func node(
        _ device: ReplicaID, _ role: Role, _ grants: [ScopeGrant], keys scopes: [Scope], peers: [Certificate] = [],
        wallClock: @escaping @Sendable () -> UInt64 = { TestTenant.now },
        notAfter: UInt64 = TestTenant.now + 86_400_000,
        durability: StoreConfiguration.Durability = .full
    ) throws -> ReplicaNode {
        let signing = SigningKeyPair()
        let own = certificate(device, role, grants, signing, notAfter: notAfter)
        let store = try ReplicaStore(
            StoreConfiguration(path: directory.file("\(device).db"), durability: durability), replica: device,
            wallClock: wallClock)
        return try ReplicaNode(
            store: store, identity: NodeIdentity(certificate: own, signing: signing),
            trust: trust(keys: scopes, certificates: [own] + peers))
    }

    /// The hub (holding the keys of Berlin's store) and Anna's phone (trusting the hub), both
    /// reading `wallClock`: where the handoff tests begin.
    public func hubAndAnnasPhone(wallClock: @escaping @Sendable () -> UInt64) throws -> (
        hub: ReplicaNode, phone: ReplicaNode
    ) {
        let anna = Scope.customer("anna")
        let hub = try node("hub", .hub, [.allStores], keys: [.store("berlin")], wallClock: wallClock)
        let phone = try node(
            "phone-anna", .mobile, [.exactly(anna)], keys: [anna], peers: [hub.identity.certificate],
            wallClock: wallClock)
        return (hub, phone)
    }

    /// Another process of `node`'s device, as hub processes sharing a journal are: the same
    /// identity and what it trusts now, over a store of its own named `name`, reading `wallClock`.
    public func process(
        of node: ReplicaNode, named name: String, wallClock: @escaping @Sendable () -> UInt64 = { TestTenant.now }
    ) throws -> ReplicaNode {
        let store = try ReplicaStore(
            StoreConfiguration(path: directory.file("\(name).db")), replica: node.store.replica,
            wallClock: wallClock)
        return try ReplicaNode(store: store, identity: node.identity, trust: node.trustSnapshot)
    }

    /// Makes each of `nodes` learn the others' certificates, as their first syncs would.
    public func introduce(_ nodes: [ReplicaNode]) async throws {
        for node in nodes {
            for peer in nodes where peer !== node { try await node.learn(peer.identity.certificate) }
        }
    }
}

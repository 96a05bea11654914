import AisleCore
import AisleCrypto
import AisleEdge
import AisleNode
import AisleStore
import Foundation
import Logging

/// One synthetic device of the load: a real node (its own SQLite file, certificate and scope keys)
/// with a real link to a hub.
struct LoadDevice: Sendable {
    enum Kind: Sendable {
        /// A till of a store: writes a walk-in cart in the store scope, and holds the handoff
        /// grants of some phones.
        case till(StoreID)
        /// A customer's phone: writes its cart in the customer scope, handed off to one till.
        case phone(CustomerID)
        /// A phone that connects and stays idle: it never writes, so its node shares one store file
        /// and one pair of keys with the other idle phones, and holds no scope key (its certificate
        /// grants its own customer scope only).
        case idle
    }

    let kind: Kind
    let node: ReplicaNode
    let link: HubLink
    /// The cart this device edits.
    let cart: CartID

    var id: ReplicaID { node.identity.certificate.body.device }

    /// Where this device writes, nil for an idle one.
    var home: CartHome? {
        switch kind {
        case .till(let store): .store(store)
        case .phone(let customer): .customer(customer)
        case .idle: nil
        }
    }
}

/// Mints the load generator's devices with the tenant's admin key, as `aisle admin enroll` would:
/// a certificate valid for a day and a key bundle for the scopes its role is granted, issued and
/// opened for real. Device ids carry a run tag, so runs against the same hub never reuse an origin.
struct LoadFleet {
    let tenant: TenantID
    let admin: AdminSecrets
    let epoch: UInt64
    let directory: String
    let run: String
    let logger: Logger

    /// Makes a node for `device` with `role` and `grants`, over `store` (a new file unless given).
    /// With `shared` key pairs and no `bundle`, the device holds no secret of its own and no scope
    /// key: an idle device, cheap to have ten thousand of (each libsodium secret is a guarded
    /// allocation of its own, several memory mappings).
    func node(
        _ device: ReplicaID, _ role: Role, _ grants: [ScopeGrant], store: ReplicaStore? = nil,
        shared: (SigningKeyPair, BoxKeyPair)? = nil, bundle: Bool = true
    ) throws -> ReplicaNode {
        let signing = shared?.0 ?? SigningKeyPair()
        let box = shared?.1 ?? BoxKeyPair()
        let certificate = Certificate(
            signing: CertificateBody(
                tenant: tenant, device: device, role: role, scopes: grants, signingKey: signing.publicKey,
                boxKey: box.publicKey, notAfter: UInt64(Date().timeIntervalSince1970 * 1_000) + 86_400_000),
            with: admin.signing)
        var trust = TrustStore(tenant: tenant, admin: admin.signing.publicKey)
        try trust.add(certificate)
        if bundle {
            let entries = (1...max(1, epoch)).flatMap { KeyBundle.entries(for: certificate.body, epoch: $0) }
            trust.keyring = try KeyBundle(issuing: entries, to: certificate, root: admin.root, admin: admin.signing)
                .open(with: box, admin: admin.signing.publicKey)
        }
        let store =
            try store
            ?? ReplicaStore(
                StoreConfiguration(path: "\(directory)/\(device).db", durability: .normal), replica: device)
        return try ReplicaNode(
            store: store, identity: NodeIdentity(certificate: certificate, signing: signing), trust: trust)
    }

    /// The devices of the load, phones handed off to tills: phone `k` to a till of store
    /// `k % stores`. Tills of store `s` use hub `s % hubs`; a phone uses the next hub after its
    /// till's, so with two hubs every phone → till change crosses from one hub to the other.
    func devices(
        stores: Int, tills: Int, phones: Int, idle: Int, hubs: [String], book: LatencyBook,
        observe: @escaping @Sendable (LoadDevice.Kind, ReplicaNode, SyncProgress) -> Void
    ) async throws -> [LoadDevice] {
        var devices: [LoadDevice] = []
        func add(_ kind: LoadDevice.Kind, _ node: ReplicaNode, hub: Int, cart: CartID) {
            let link = HubLink(node: node, url: hubs[hub % hubs.count], logger: logger) { event in
                observe(kind, node, event)
            }
            devices.append(LoadDevice(kind: kind, node: node, link: link, cart: cart))
        }
        var tillNodes: [[ReplicaNode]] = []
        for s in 0..<stores {
            let store = try StoreID("\(run)-store-\(s)")
            var nodes: [ReplicaNode] = []
            for t in 0..<tills {
                let id = try ReplicaID("\(run)-till-\(s)-\(t)")
                let node = try node(id, .pos, [.exactly(.catalog), .exactly(.store(store)), .allLoyalty])
                nodes.append(node)
                book.expect(.store(store), by: id)
                add(.till(store), node, hub: s, cart: try CartID("walk-in-\(t)"))
            }
            tillNodes.append(nodes)
        }
        for k in 0..<phones {
            let customer = try CustomerID("\(run)-customer-\(k)")
            let node = try node(
                ReplicaID("\(run)-phone-\(k)"), .mobile,
                [.exactly(.catalog), .exactly(.customer(customer)), .exactly(.loyalty(customer))])
            let cart = try CartID("cart-\(k)")
            if stores > 0, tills > 0 {
                let s = k % stores
                let till = tillNodes[s][(k / stores) % tills]
                let handoff = try node.handoff(
                    of: cart, in: customer, to: try StoreID("\(run)-store-\(s)"), minutes: 24 * 60)
                try await till.accept(handoff)
                book.expect(.customer(customer), by: till.identity.certificate.body.device)
                add(.phone(customer), node, hub: s + 1, cart: cart)
            } else {
                add(.phone(customer), node, hub: k, cart: cart)
            }
        }
        if idle > 0 {
            let id = try ReplicaID("\(run)-idle")
            let shared = try ReplicaStore(
                StoreConfiguration(path: "\(directory)/\(id).db", durability: .normal), replica: id)
            let keys = (SigningKeyPair(), BoxKeyPair())
            for k in 0..<idle {
                // Its own customer scope only: it holds no key, and nobody writes there.
                let customer = try CustomerID("\(run)-idle-\(k)")
                let node = try node(
                    ReplicaID("\(run)-idle-\(k)"), .mobile, [.exactly(.customer(customer))], store: shared,
                    shared: keys, bundle: false)
                add(.idle, node, hub: k, cart: try CartID("cart-\(k)"))
            }
        }
        return devices
    }
}

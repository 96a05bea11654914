import AisleCore
public import AisleCrypto
import AisleStore
import Synchronization

extension ReplicaNode {
    /// What the node learns from the catalog about devices: the revocations, its own renewed
    /// certificate, and on the hub every device's (its status view shows when each expires).
    func learnCatalogTrust() throws {
        try learnRevocations()
        try learnRenewal()
        if identity.certificate.body.role == .hub {
            // Checked by the admin key as learnt; the known ones are skipped at once.
            _ = try learnNow(try store.renewals().entries.compactMap(\.value.renewedCertificate))
        }
    }

    /// Takes this device's renewed certificate, if head office published one in the catalog that
    /// renews the one in use (the same tenant, device, role, scopes and keys, ending later), that
    /// the admin signed and did not revoke: new connections present it and new changes name it
    /// from then on, and the observers are told (``onRenewal(_:)``: a service writes it to its
    /// device.cert). Connections already open go on with the certificate they began with.
    /// - Returns: the certificate taken, if any.
    @discardableResult
    public func learnRenewal() throws -> Certificate? {
        let own = identity.certificate
        guard let renewal = try store.renewal(of: own.body.device), renewal.notAfter > own.body.notAfter,
            let renewed = renewal.renewedCertificate, own.body.isRenewed(by: renewed.body),
            !trust.withLock({ $0.revoked.contains(renewed.id) }),
            // Checked by the admin key, and known to the node's trust: the node's changes name it.
            case .success = try learnNow([renewed])[0]
        else { return nil }
        currentIdentity.withLock { identity in
            identity = NodeIdentity(certificate: renewed, signing: identity.signing)
        }
        renewalObservers.tell(renewed)
        return renewed
    }

    /// Calls `observer` with the renewed certificate this node takes (``learnRenewal()``), each
    /// time it takes one. Keep it short: it runs on the thread that learnt it.
    public func onRenewal(_ observer: @escaping @Sendable (Certificate) -> Void) {
        renewalObservers.add(observer)
    }

    /// Publishes head office's renewals of devices' certificates in the catalog, in one change:
    /// sync carries them to every node, and each device takes its own at its next sync
    /// (``learnRenewal()``).
    ///
    /// - Returns: how many were new (the others: the catalog holds one valid as long).
    /// - Throws: ``CatalogPublishError`` when this node is not head office's;
    ///   ``EnvelopeRefusal/forgedRenewal(_:)`` for the first certificate the admin did not sign,
    ///   which every node would refuse. Nothing is written then.
    @discardableResult
    public func publishRenewals(_ certificates: [Certificate]) async throws -> Int {
        _ = try headOffice()
        for certificate in certificates {
            do throws(EnvelopeRefusal) {
                try TrustStore.verify(certificate, tenant: trust.tenant, admin: trust.admin)
            } catch {
                throw EnvelopeRefusal.forgedRenewal(certificate.body.device.rawValue)
            }
        }
        let held = try store.renewals()
        var new: [ReplicaID: Renewal] = [:]
        for certificate in certificates {
            let device = certificate.body.device
            let renewal = Renewal(certificate)
            let before = new[device] ?? held[device]
            if before.joined(with: renewal) != before { new[device] = before.joined(with: renewal) }
        }
        guard !new.isEmpty else { return 0 }
        let renewals = new
        let keys = try renewals.keys.map { try ObjectKey(scope: .catalog, kind: .renewal, id: $0.rawValue) }
        try await store.updateCatalog(touching: keys) { catalog, _ in
            var delta = Catalog()
            for (device, renewal) in renewals { delta.join(catalog.renew(device, renewal)) }
            return delta
        }
        return renewals.count
    }
}

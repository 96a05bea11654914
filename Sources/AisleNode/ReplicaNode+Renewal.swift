public import AisleCore
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
            _ = trust.learn(
                try store.renewals().entries.compactMap { $0.value.renewedCertificate.map(TrustedRecord.certificate) })
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
            case .success = trust.learn([.certificate(renewed)])[0]
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

    /// Publishes head office's renewal of a device's certificate in the catalog: sync carries it
    /// to every node, and the device takes it at its next sync (``learnRenewal()``).
    ///
    /// - Returns: whether it was new (false: the catalog holds one valid as long).
    /// - Throws: ``CatalogPublishError`` when this node is not head office's;
    ///   ``EnvelopeRefusal/forgedRenewal(_:)`` when the admin did not sign `certificate`, which
    ///   every node would refuse. Nothing is written then.
    @discardableResult
    public func publishRenewal(_ certificate: Certificate) async throws -> Bool {
        _ = try headOffice()
        let device = certificate.body.device
        do throws(EnvelopeRefusal) {
            try TrustStore.verify(certificate, tenant: trust.tenant, admin: trust.admin)
        } catch {
            throw EnvelopeRefusal.forgedRenewal(device.rawValue)
        }
        let renewal = Renewal(certificate)
        if let held = try store.renewal(of: device), held.joined(with: renewal) == held { return false }
        let key = try ObjectKey(scope: .catalog, kind: .renewal, id: device.rawValue)
        try await store.updateCatalog(touching: [key]) { catalog, _ in catalog.renew(device, renewal) }
        return true
    }
}

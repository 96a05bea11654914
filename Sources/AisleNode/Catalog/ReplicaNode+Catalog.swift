public import AisleCore
import AisleCrypto
import AisleStore
import AisleSync

extension ReplicaNode {
    /// The largest catalog change, in encoded bytes, that one sync frame still carries with its
    /// envelope and its author's certificate.
    public static var maxCatalogChangeBytes: Int { SyncLimits().maxFrameBytes - 16 * 1_024 }

    /// Publishes `publication` as head office: compares it with this replica's catalog and writes
    /// what differs (new, changed and, unless `keepMissing`, withdrawn objects) as one change in
    /// the catalog scope, which sync then carries to every node. Nothing differing writes nothing.
    ///
    /// - Returns: the changes written (empty when the catalog already matched).
    /// - Throws: ``CatalogPublishError`` when this node is not head office's or the change would
    ///   not fit one sync frame; a ``StoreError`` from the write. Nothing is written then.
    @discardableResult
    public func publishCatalog(_ publication: CatalogPublication, keepMissing: Bool = false) async throws
        -> CatalogChanges
    {
        let body = try headOffice()
        let changes = CatalogChanges(publishing: publication, over: try store.catalog(), keepMissing: keepMissing)
        guard !changes.isEmpty else { return changes }
        // Measure the change before writing it: a change larger than a frame would never sync.
        var scratch = RetailState()
        let probe = HLCTimestamp(physical: store.wallClock(), counter: UInt16.max, replica: body.device)
        let delta = try scratch.updateCatalog { catalog throws(CatalogError) in
            try changes.apply(to: &catalog, at: probe)
        }
        let bytes = delta.deltasByScope.reduce(0) { $0 + $1.encoded.count }
        guard bytes <= Self.maxCatalogChangeBytes else {
            throw CatalogPublishError.changeTooLarge(bytes: bytes, limit: Self.maxCatalogChangeBytes)
        }
        try await store.updateCatalog(touching: changes.keys) { catalog, stamp in
            try changes.apply(to: &catalog, at: stamp)
        }
        return changes
    }
}

extension ReplicaNode {
    /// Publishes the admin's `revocation` of the certificate whose id is `certificate` as head
    /// office: a change in the catalog scope, which sync carries to every node; each checks the
    /// admin's signature and refuses the device from then on (its connections, and its changes
    /// judged live).
    ///
    /// - Returns: whether it was new (false: this replica's catalog revoked it already).
    /// - Throws: ``CatalogPublishError`` when this node is not head office's; ``EnvelopeRefusal/forgedRevocation(_:)``
    ///   when the admin did not sign `revocation`, which every node would refuse. Nothing is written then.
    @discardableResult
    public func publishRevocation(of certificate: [UInt8], _ revocation: Revocation) async throws -> Bool {
        _ = try headOffice()
        let id = Revocation.catalogID(of: certificate)
        guard trustSnapshot.isAdmin(revocation, of: certificate) else { throw EnvelopeRefusal.forgedRevocation(id) }
        guard try store.revocations()[id] != revocation else { return false }
        let key = try ObjectKey(scope: .catalog, kind: .revocation, id: id.rawValue)
        try await store.updateCatalog(touching: [key]) { catalog, _ in catalog.revoke(certificate, revocation) }
        try learnRevocations()
        return true
    }

    /// This node's certificate, once it is head office's: role hq, granted the catalog.
    /// - Throws: ``CatalogPublishError`` otherwise.
    func headOffice() throws(CatalogPublishError) -> CertificateBody {
        let body = identity.certificate.body
        guard body.role == .hq else { throw .notHeadOffice(role: body.role.rawValue, device: body.device.rawValue) }
        guard body.scopes.contains(where: { $0.covers(.catalog) }) else {
            throw .noCatalogGrant(device: body.device.rawValue)
        }
        return body
    }
}

import AisleCore
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
        let body = identity.certificate.body
        guard body.role == .hq else {
            throw CatalogPublishError.notHeadOffice(role: body.role.rawValue, device: body.device.rawValue)
        }
        guard body.scopes.contains(where: { $0.covers(.catalog) }) else {
            throw CatalogPublishError.noCatalogGrant(device: body.device.rawValue)
        }
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

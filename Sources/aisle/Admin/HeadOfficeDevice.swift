import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import Foundation

/// Head office's own node, which publishes the catalog: the device directory TENANT/hq/ with its
/// replica database hq.db. Made and enrolled (role hq, scope catalog) with the admin key the
/// first time it is needed, renewed when its certificate nears expiry or the tenant moved to a
/// new key epoch, and given the tenant's current revocation list every time it is opened.
struct HeadOfficeDevice {
    /// The device id of head office's node.
    static let device: ReplicaID = "hq"
    /// Renew the certificate when it has fewer days than this left.
    static let renewalDays: UInt64 = 30

    let tenant: TenantDirectory

    /// The device directory, TENANT/hq.
    var dir: String { IdentityFiles.path(tenant.dir, "hq") }
    /// The replica database, TENANT/hq/hq.db.
    var database: String { Self.database(ofTenant: tenant.dir) }

    /// Head office's replica database in the tenant directory `tenantDir`.
    static func database(ofTenant tenantDir: String) -> String {
        IdentityFiles.path(IdentityFiles.path(tenantDir, "hq"), "hq.db")
    }

    /// Opens head office's node, making, enrolling or renewing its device first as needed. Its
    /// device.key is sealed under the same passphrase as admin.key, if any.
    func open() throws -> ReplicaNode {
        let (tenantFile, admin) = try tenant.open()
        let passphrase = try IdentityFiles.passphrase(fromEnvironment: tenant.passphraseEnv)
        let request = IdentityFiles.path(dir, IdentityFiles.request)
        if !FileManager.default.fileExists(atPath: IdentityFiles.path(dir, IdentityFiles.deviceKey)) {
            try IdentityFiles.createDevice(
                in: dir, tenant: try TenantID(tenantFile.tenant), device: Self.device, role: .hq,
                grants: [.exactly(.catalog)], passphrase: passphrase)
            _ = try tenant.enroll(requestAt: request, tenantFile: tenantFile, admin: admin, headOffice: true)
            print("made head office's device \(Self.device) in \(dir) (role hq, scope catalog)")
        } else if try needsRenewal(passphrase: passphrase) {
            _ = try tenant.enroll(
                requestAt: request, tenantFile: tenantFile, admin: admin, headOffice: true, replacing: true)
            print("renewed head office's device \(Self.device): new certificate and keys for the current epoch")
        }
        let revocations = IdentityFiles.path(tenant.dir, IdentityFiles.revocations)
        if FileManager.default.fileExists(atPath: revocations) {
            try IdentityFiles.replace(
                Data(contentsOf: URL(fileURLWithPath: revocations)),
                at: IdentityFiles.path(dir, IdentityFiles.revocations))
        }
        do { return try DeviceDirectory(dir).openNode(database: database, passphrase: passphrase) } catch let error
            as DeviceDirectoryError
        {
            throw CommandFailure("head office's device in \(dir) cannot be used: \(error)")
        }
    }

    /// Sends what head office's node holds and the hub lacks (`what` it just published) to the
    /// hub at `hub`; with none, says when it will go.
    static func send(_ node: ReplicaNode, to hub: String?, timeout: Int, holding what: String) async throws {
        guard let hub else {
            print(
                "not sent: the hub gets it at the next `aisle admin catalog import` or `aisle admin revoke` with --hub URL"
            )
            return
        }
        let elapsed: Duration
        do { elapsed = try await OneShotSync.run(node, hub: hub, timeout: timeout) } catch {
            throw CommandFailure(
                "\(error); what was published is kept in head office's replica and goes to the hub at the next sync with --hub"
            )
        }
        print("the hub holds the \(what) (synced in \(elapsed)); every node gets it at its next sync")
    }

    /// Whether the certificate expires within ``renewalDays`` or the bundle lacks the tenant's
    /// current epoch.
    private func needsRenewal(passphrase: [UInt8]?) throws -> Bool {
        let (identity, trust) = try DeviceDirectory(dir).load(passphrase: passphrase)
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        let expiresSoon = identity.certificate.body.notAfter < now + Self.renewalDays * 86_400_000
        let epoch = trust.keyring.newestEpoch(for: .catalog) ?? 0
        return try expiresSoon || epoch < tenant.currentEpoch()
    }
}

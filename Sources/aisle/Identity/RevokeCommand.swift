import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import ArgumentParser
import Foundation

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a device: publish its certificate's revocation, signed, in the catalog.",
        discussion: """
            Publishes the revocation, signed with the admin key, in the catalog scope through head \
            office's node (DIR/hq/, as `aisle admin catalog import` does): it reaches the hub with \
            --hub (now) or with the next catalog import or revoke with --hub, and every till, kiosk and \
            phone with the catalog at its next sync. Each node checks the admin's signature, and from \
            then on refuses the device's connections and the changes it sends. It also updates \
            DIR/revocations.bin (the list only grows), for nodes set up from files. Follow with `aisle \
            admin rotate` so the device cannot read what is sealed from then on either.
            """
    )

    @OptionGroup var tenant: TenantDirectory
    @Option(name: .long, help: "The device's device.cert.") var certificate: String
    @Option(name: .long, help: "The hub's sync URL, such as ws://127.0.0.1:8470/v1/sync: send the revocation at once.")
    var hub: String?
    @Option(name: .long, help: "With --hub: give up the sync after this many seconds.")
    var timeout: Int = 60

    func run() async throws {
        let (tenantFile, admin) = try tenant.open()
        let dir = tenant.dir
        let revoked = try tenant.certificate(at: certificate, of: tenantFile)
        let path = IdentityFiles.path(dir, IdentityFiles.revocations)
        let current =
            try tenant.revocations() ?? RevocationList(tenant: revoked.body.tenant, revoked: [], admin: admin.signing)
        let updated = current.adding([revoked.id], admin: admin.signing)
        try IdentityFiles.replace(Data(updated.canonicalBytes), at: path)
        print(
            "revoked \(revoked.body.role) \(revoked.body.device) (certificate \(IdentityFiles.hex(revoked.id))); "
                + "\(updated.revoked.count) revoked in \(path)")

        let node = try HeadOfficeDevice(tenant: tenant).open()
        defer { try? node.store.close() }
        let revocation = Revocation(revoking: revoked.id, in: revoked.body.tenant, admin: admin.signing)
        if try await node.publishRevocation(of: revoked.id, revocation) {
            print("published in the catalog scope as head office (\(HeadOfficeDevice.device))")
        } else {
            print("the catalog revoked it already")
        }
        try await HeadOfficeDevice.send(node, to: hub, timeout: timeout, holding: "revocation")
    }
}

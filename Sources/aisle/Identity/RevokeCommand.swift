import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import ArgumentParser
import Foundation

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a device: publish its certificates' revocations, signed, in the catalog.",
        discussion: """
            Revokes the certificate given and its renewals head office knows (the registry's \
            latest, DIR/devices/DEVICE.cert, and the renewal in the catalog, when they certify the \
            same keys). Publishes the revocations, signed with the admin key, in the catalog scope through head \
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

    func validate() throws {
        // Before anything is published: a mistyped URL is told first, not after.
        if let hub { try HubURL.validate(hub, timeout: timeout) }
    }

    func run() async throws {
        let (tenantFile, admin) = try tenant.open()
        let dir = tenant.dir
        let given = try tenant.certificate(at: certificate, of: tenantFile)
        let device = given.body.device
        let node = try HeadOfficeDevice(tenant: tenant).open()
        defer { try? node.store.close() }
        // The certificate given and its renewals head office knows: the registry's latest and the
        // renewal in the catalog, when they certify the same keys (a device enrolled again with new
        // keys, such as a replaced hub, keeps its new certificate). Revoking only the given one
        // would leave the device's renewed certificate valid.
        let registry = IdentityFiles.path(IdentityFiles.path(dir, IdentityFiles.devices), "\(device).cert")
        var certificates = [given]
        if FileManager.default.fileExists(atPath: registry) {
            certificates.append(try tenant.certificate(at: registry, of: tenantFile))
        }
        if let renewed = try node.store.renewal(of: device)?.renewedCertificate { certificates.append(renewed) }
        var ids: [[UInt8]] = []
        for certificate in certificates where certificate.body.signingKey == given.body.signingKey {
            if !ids.contains(certificate.id) { ids.append(certificate.id) }
        }

        let path = IdentityFiles.path(dir, IdentityFiles.revocations)
        let current =
            try tenant.revocations() ?? RevocationList(tenant: given.body.tenant, revoked: [], admin: admin.signing)
        let updated = current.adding(Set(ids), admin: admin.signing)
        try IdentityFiles.replace(Data(updated.canonicalBytes), at: path)
        for id in ids {
            print("revoked \(given.body.role) \(device) (certificate \(IdentityFiles.hex(id)))")
        }
        print("\(updated.revoked.count) revoked in \(path)")

        var published = 0
        for id in ids {
            let revocation = Revocation(revoking: id, in: given.body.tenant, admin: admin.signing)
            if try await node.publishRevocation(of: id, revocation) { published += 1 }
        }
        if published > 0 {
            print("published in the catalog scope as head office (\(HeadOfficeDevice.device))")
        } else {
            print("the catalog revoked it already")
        }
        try await HeadOfficeDevice.send(node, to: hub, timeout: timeout, holding: "revocation")
    }
}

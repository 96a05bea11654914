import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

struct RevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a device: add its certificate to the tenant's signed revocation list.",
        discussion: """
            Updates DIR/revocations.bin (the list only grows). Every node that receives the list \
            refuses the device's envelopes and connections from then on. Follow with `aisle admin \
            rotate` so the device cannot read what is sealed from then on either. Publishing the list \
            in the catalog scope comes with sync.
            """
    )

    @OptionGroup var tenant: TenantDirectory
    @Option(name: .long, help: "The device's device.cert.") var certificate: String

    func run() throws {
        let (tenantFile, admin) = try tenant.open()
        let dir = tenant.dir
        let revoked: Certificate
        do { revoked = try Certificate(canonicalBytes: IdentityFiles.read(certificate)) } catch let error
            as CanonicalDecodingError
        {
            throw CommandFailure("\(certificate) is not a certificate: \(error)")
        }
        guard revoked.body.tenant.rawValue == tenantFile.tenant else {
            throw CommandFailure("\(certificate) belongs to tenant \(revoked.body.tenant), not \(tenantFile.tenant)")
        }
        let path = IdentityFiles.path(dir, IdentityFiles.revocations)
        let current =
            try tenant.revocations() ?? RevocationList(tenant: revoked.body.tenant, revoked: [], admin: admin.signing)
        let updated = current.adding([revoked.id], admin: admin.signing)
        try IdentityFiles.replace(Data(updated.canonicalBytes), at: path)
        print(
            "revoked \(revoked.body.role) \(revoked.body.device) (certificate \(IdentityFiles.hex(revoked.id))); "
                + "\(updated.revoked.count) revoked in \(path)")
    }
}

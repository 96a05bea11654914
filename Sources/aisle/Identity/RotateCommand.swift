import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

struct RotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Start a new scope-key epoch and re-issue keys to every device still trusted.",
        discussion: """
            Moves the tenant to the next epoch (DIR/epoch.json) and issues every enrolled device \
            (DIR/devices/*.cert) that is neither revoked nor expired a bundle holding its keys for \
            every epoch up to the new one, in DIR/devices/DEVICE.bundle. Install each bundle as the \
            device's device.bundle; devices then seal under the new epoch. A revoked device gets no \
            new keys, so it cannot read anything sealed after the rotation. Run it after `aisle admin \
            revoke`.
            """
    )

    @OptionGroup var tenant: TenantDirectory

    func run() throws {
        let (tenantFile, admin) = try tenant.open()
        let revoked = try tenant.revocations()?.revoked ?? []
        let registry = IdentityFiles.path(tenant.dir, IdentityFiles.devices)
        let certificates = try tenant.registeredCertificates(of: tenantFile)
        let epoch = try tenant.currentEpoch() + 1
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        var issued: [String] = []
        var skipped: [String] = []
        for certificate in certificates {
            let device = certificate.body.device
            if revoked.contains(certificate.id) {
                skipped.append("\(device) (revoked)")
            } else if certificate.body.notAfter < now {
                skipped.append("\(device) (expired)")
            } else {
                _ = try tenant.issueBundle(to: certificate, through: epoch, admin: admin)
                issued.append(device.rawValue)
            }
        }
        // The epoch moves only once every bundle is written: a failure above leaves the tenant as it was.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try IdentityFiles.replace(
            encoder.encode(IdentityFiles.Epoch(epoch: epoch)), at: IdentityFiles.path(tenant.dir, IdentityFiles.epoch))
        print("rotated to epoch \(epoch): new bundles for \(issued.count) devices in \(registry)")
        for device in issued { print("  issued   \(device)") }
        for device in skipped { print("  skipped  \(device): no keys for epoch \(epoch)") }
    }
}

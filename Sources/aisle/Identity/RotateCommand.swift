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
        var files = StagedFiles()
        defer { files.discard() }
        for certificate in certificates {
            let device = certificate.body.device
            if revoked.contains(certificate.id) {
                skipped.append("\(device) (revoked)")
            } else if certificate.body.notAfter < now {
                skipped.append("\(device) (expired)")
            } else {
                let bundle = try tenant.keyBundle(for: certificate, through: epoch, admin: admin)
                try tenant.stageRecord(of: certificate, bundle: bundle, in: &files)
                issued.append(device.rawValue)
            }
        }
        // Staged last, the epoch moves last: only once every new bundle is in place. A failure
        // before leaves the tenant at its epoch, and the next rotation issues the bundles again.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try files.stage(
            encoder.encode(IdentityFiles.Epoch(epoch: epoch)), at: IdentityFiles.path(tenant.dir, IdentityFiles.epoch),
            replacing: true)
        try files.commit()
        print("rotated to epoch \(epoch): new bundles for \(issued.count) devices in \(registry)")
        for device in issued { print("  issued   \(device)") }
        for device in skipped { print("  skipped  \(device): no keys for epoch \(epoch)") }
    }
}

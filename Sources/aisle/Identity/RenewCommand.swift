import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import ArgumentParser
import Foundation

struct RenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Renew the certificates of enrolled devices that expire soon, with the same keys.",
        discussion: """
            A device whose certificate has expired is refused by every hub and peer. This signs a \
            new certificate for every enrolled device (DIR/devices/*.cert) that is not revoked and \
            expires within --within days (or has expired), or for the --device ones whenever they \
            expire: the same device id, role, scopes and public keys, valid --days from now. It \
            writes DIR/devices/DEVICE.cert and DIR/devices/DEVICE.bundle (its scope keys up to the \
            tenant's current epoch). \

            The renewed certificates of hubs, tills and kiosks are also published in the catalog \
            through head office's node (DIR/hq/, as `aisle admin revoke` does): with --hub they \
            reach the hub at once (otherwise with the next catalog import or revoke with --hub), and \
            each device takes its own at its next sync and writes it to its device.cert, with \
            nothing installed by hand and no restart. A phone's is not (a million of them would \
            weigh on every device's catalog): install DEVICE.cert on it, or enrol it again. The old \
            certificate stays valid until it expires. Hub and edge report their own certificate's \
            remaining time in aisle_certificate_expiry_seconds.
            """
    )

    @OptionGroup var tenant: TenantDirectory
    // Unconditional: `--within -5` and `--days -5` are values out of range, not unknown options.
    @Option(name: .long, parsing: .unconditional, help: "Renew certificates that expire within this many days.")
    var within: Int = 30
    @Option(name: .long, parsing: .unconditional, help: CertificateLifetime.help)
    var days: Int = 365
    @Option(name: .long, help: "Renew this device whenever its certificate expires (repeat for several).")
    var device: [String] = []
    @Flag(name: .long, help: "Only list what would be renewed; sign and write nothing.")
    var dryRun = false
    @Option(
        name: .long,
        help:
            "The hub's sync URL, such as ws://127.0.0.1:8470/v1/sync: send the renewals published in the catalog at once."
    )
    var hub: String?
    @Option(name: .long, help: "With --hub: give up the sync after this many seconds.")
    var timeout: Int = 60

    func validate() throws {
        // No certificate signed here is valid longer than the longest lifetime: --within that long
        // takes every one (name an older, longer one with --device).
        guard (0...CertificateLifetime.maximumDays).contains(within) else {
            throw ValidationError(
                "--within \(within) is out of range: from 0 to \(CertificateLifetime.maximumDays) days (ten years)")
        }
        try CertificateLifetime.check(days)
        if let hub { try HubURL.validate(hub, timeout: timeout) }
    }

    func run() async throws {
        let (tenantFile, admin) = try tenant.open()
        let revoked = try tenant.revocations()?.revoked ?? []
        let named = Set(try device.map { try ReplicaID($0) })
        // A device enrolled more than once keeps one registry file: its latest certificate.
        let certificates = try tenant.registeredCertificates(of: tenantFile)
        let unknown = named.subtracting(certificates.map(\.body.device))
        guard unknown.isEmpty else {
            throw CommandFailure(
                "not enrolled here: \(unknown.map(\.rawValue).sorted().joined(separator: ", ")) (no DIR/devices/DEVICE.cert)"
            )
        }
        let epoch = try tenant.currentEpoch()
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        let due = now + UInt64(within) * 86_400_000
        var renewed: [String] = []
        var skipped: [String] = []
        var published: [Certificate] = []
        // Every renewal is signed and staged before any is written: one that fails leaves every
        // device's record as it was.
        var files = StagedFiles()
        defer { files.discard() }
        for certificate in certificates {
            let body = certificate.body
            guard named.isEmpty || named.contains(body.device) else { continue }
            if revoked.contains(certificate.id) {
                skipped.append("\(body.device): revoked, not renewed")
                continue
            }
            guard !named.isEmpty || body.notAfter <= due else {
                skipped.append("\(body.device): not due, expires \(Self.when(body.notAfter, now: now))")
                continue
            }
            if !dryRun {
                let fresh = Certificate(
                    signing: body.renewed(until: try CertificateLifetime.notAfter(days: days, from: now)),
                    with: admin.signing)
                let bundle = try tenant.keyBundle(for: fresh, through: epoch, admin: admin)
                try tenant.stageRecord(of: fresh, bundle: bundle, in: &files)
                if body.role != .mobile { published.append(fresh) }
            }
            let was = body.notAfter >= now ? "was to expire" : "expired"
            renewed.append("\(body.device): \(was) \(Self.when(body.notAfter, now: now)), now valid \(days) days")
        }
        try files.commit()
        let registry = IdentityFiles.path(tenant.dir, IdentityFiles.devices)
        if dryRun {
            print("would renew \(renewed.count) certificates (dry run: nothing signed or written)")
        } else {
            print(
                "renewed \(renewed.count) certificates in \(registry) (install DEVICE.cert and DEVICE.bundle on each)")
        }
        for line in renewed { print("  \(dryRun ? "due    " : "renewed")  \(line)") }
        for line in skipped { print("  skipped  \(line)") }
        guard !published.isEmpty else { return }
        try await publish(published)
    }

    /// Publishes the renewed certificates of hubs, tills and kiosks in the catalog as head
    /// office, and sends them to the hub with --hub.
    private func publish(_ certificates: [Certificate]) async throws {
        let node = try HeadOfficeDevice(tenant: tenant).open()
        defer { try? node.store.close() }
        let new = try await node.publishRenewals(certificates)
        print(
            "published \(new) renewed certificates in the catalog as head office (\(HeadOfficeDevice.device)): "
                + "each device takes its own at its next sync")
        try await HeadOfficeDevice.send(node, to: hub, timeout: timeout, holding: "renewals")
    }

    /// "in 12 days", "3 days ago".
    static func when(_ millis: UInt64, now: UInt64) -> String {
        millis >= now ? "in \((millis - now) / 86_400_000) days" : "\((now - millis) / 86_400_000) days ago"
    }
}

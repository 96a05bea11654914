import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

/// The tenant directory options of the admin commands that sign: where it is, and how to open its key.
struct TenantDirectory: ParsableArguments {
    @Option(name: .long, help: "The tenant directory made by `aisle admin init`.")
    var dir: String

    @Option(name: .long, help: "An environment variable holding admin.key's passphrase.")
    var passphraseEnv: String?

    /// The tenant's public description and the admin's secrets.
    func open() throws -> (IdentityFiles.Tenant, AdminSecrets) {
        let tenant = try IdentityFiles.readJSON(
            IdentityFiles.Tenant.self, from: IdentityFiles.path(dir, IdentityFiles.tenant))
        let admin = try AdminSecrets(
            IdentityFiles.openKey(IdentityFiles.path(dir, IdentityFiles.adminKey), passphraseVariable: passphraseEnv))
        return (tenant, admin)
    }

    /// The tenant's current scope-key epoch.
    func currentEpoch() throws -> UInt64 {
        let path = IdentityFiles.path(dir, IdentityFiles.epoch)
        guard FileManager.default.fileExists(atPath: path) else { return 1 }
        return try IdentityFiles.readJSON(IdentityFiles.Epoch.self, from: path).epoch
    }

    /// The tenant's revocation list, nil before the first revocation.
    func revocations() throws -> RevocationList? {
        let path = IdentityFiles.path(dir, IdentityFiles.revocations)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try RevocationList(canonicalBytes: IdentityFiles.read(path)) } catch let error
            as CanonicalDecodingError
        {
            throw CommandFailure("\(path) is damaged: \(error)")
        }
    }

    /// The certificates of every device enrolled here (DIR/devices/*.cert), by file name; each
    /// checked to decode and to belong to `tenant`.
    func registeredCertificates(of tenant: IdentityFiles.Tenant) throws -> [Certificate] {
        let registry = IdentityFiles.path(dir, IdentityFiles.devices)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: registry)) ?? [])
            .filter { $0.hasSuffix(".cert") }.sorted()
        guard !names.isEmpty else {
            throw CommandFailure("no enrolled devices under \(registry): enrol devices with `aisle admin enroll` first")
        }
        return try names.map { try certificate(at: IdentityFiles.path(registry, $0), of: tenant) }
    }

    /// The certificate in the file at `path`, checked to decode and to belong to `tenant`.
    func certificate(at path: String, of tenant: IdentityFiles.Tenant) throws -> Certificate {
        let certificate: Certificate
        do { certificate = try Certificate(canonicalBytes: IdentityFiles.read(path)) } catch let error
            as CanonicalDecodingError
        {
            throw CommandFailure("\(path) is not a certificate, or is damaged: \(error)")
        }
        guard certificate.body.tenant.rawValue == tenant.tenant else {
            throw CommandFailure("\(path) belongs to tenant \(certificate.body.tenant), not \(tenant.tenant)")
        }
        return certificate
    }

    /// Where the registry keeps `device`'s certificate or bundle.
    func registryPath(_ device: ReplicaID, _ suffix: String) -> String {
        IdentityFiles.path(IdentityFiles.path(dir, IdentityFiles.devices), "\(device).\(suffix)")
    }

    /// The newest epoch to issue a device keys for: `asked`, or the tenant's current epoch. An
    /// epoch after the current one is refused: its keys are the ones `aisle admin rotate` issues
    /// to the devices still trusted, and a device given them up front would read what is sealed
    /// after it was revoked and the keys rotated.
    func issuedEpoch(asked: Int?) throws -> UInt64 {
        let current = try currentEpoch()
        guard let asked else { return current }
        guard asked >= 1, UInt64(asked) <= current else {
            throw CommandFailure(
                "--epoch \(asked) is out of range: this tenant's key epochs are 1 to \(current), its current one "
                    + "(`aisle admin rotate` starts the next); leave --epoch out to issue keys up to \(current)")
        }
        return UInt64(asked)
    }

    /// The bundle of the keys `certificate`'s role may hold for every epoch up to `epoch` (so
    /// its device can read what was sealed before). Enrolment and renewal pass the tenant's
    /// current epoch (see ``issuedEpoch(asked:)``); only `aisle admin rotate` passes the next.
    func keyBundle(for certificate: Certificate, through epoch: UInt64, admin: AdminSecrets) throws -> KeyBundle {
        let entries = (1...max(1, epoch)).flatMap { KeyBundle.entries(for: certificate.body, epoch: $0) }
        return try KeyBundle(issuing: entries, to: certificate, root: admin.root, admin: admin.signing)
    }

    /// Stages head office's record of `certificate`'s device in `files`: the certificate and the
    /// newest bundle issued to it, replacing DIR/devices/DEVICE.cert and DEVICE.bundle.
    func stageRecord(of certificate: Certificate, bundle: KeyBundle, in files: inout StagedFiles) throws {
        try FileManager.default.createDirectory(
            atPath: IdentityFiles.path(dir, IdentityFiles.devices), withIntermediateDirectories: true)
        let device = certificate.body.device
        try files.stage(Data(certificate.canonicalBytes), at: registryPath(device, "cert"), replacing: true)
        try files.stage(Data(bundle.canonicalBytes), at: registryPath(device, "bundle"), replacing: true)
    }
}

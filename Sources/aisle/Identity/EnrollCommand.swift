import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Certify a device from its signing request and issue its key bundle.",
        discussion: """
            Reads the request a device made with `aisle edge init` or `aisle mobile init`, signs a \
            certificate {device keys, role, scopes, not-after} with the admin key, and seals the scope \
            keys the role may hold to the device. Writes device.cert, device.bundle and tenant.json next to the \
            request (and a copy of both under DIR/devices/ for `aisle admin rotate`). The device's \
            private key never leaves the device.
            """
    )

    @OptionGroup var tenant: TenantDirectory
    @Option(name: .long, help: "The device's request.json.") var request: String
    // Unconditional: `--days -5` is a value out of range, not an unknown option.
    @Option(name: .long, parsing: .unconditional, help: CertificateLifetime.help) var days = 365
    @Option(
        name: .long, parsing: .unconditional,
        help: "Issue keys for epochs 1 to this one, at most the tenant's current epoch (the default).")
    var epoch: Int?

    func validate() throws {
        try CertificateLifetime.check(days)
    }

    func run() throws {
        let (tenantFile, admin) = try tenant.open()
        let (certificate, epoch) = try tenant.enroll(
            requestAt: request, tenantFile: tenantFile, admin: admin, days: days, epoch: epoch)
        let body = certificate.body
        print(
            "enrolled \(body.role) \(body.device) for \(body.scopes.map(\.description).joined(separator: ", ")) "
                + "until \(CertificateLifetime.date(body.notAfter)) (\(days) days from now); "
                + "certificate \(IdentityFiles.hex(certificate.id)), keys for epochs 1–\(epoch) in device.bundle")
    }

    /// Grants a role may be given at enrollment (the envelope checks enforce the same limits).
    static func mayHold(_ role: Role, _ grant: ScopeGrant) -> Bool {
        switch grant {
        case .exactly(.catalog): true
        case .exactly(let scope): Authorization.mayWrite(role, scope)
        case .allStores: role == .hub
        case .allLoyalty: [.hub, .pos, .kiosk].contains(role)
        case .allCustomers: false
        }
    }
}

extension TenantDirectory {
    /// Certifies the device that wrote the request at `requestAt` and issues its key bundle:
    /// writes device.cert, device.bundle and tenant.json next to the request (and copies in the
    /// registry). Head office's own device (role hq) is enrolled only when `headOffice` is set:
    /// `aisle admin catalog import` makes it; a request file cannot ask for it.
    ///
    /// Every check comes before any file is written, and the files are written together (see
    /// ``StagedFiles``): a refused enrolment changes neither the device's directory nor head office's.
    ///
    /// - Parameters:
    ///   - days: how long the certificate is valid (see ``CertificateLifetime``).
    ///   - epoch: the newest epoch to issue keys for, at most the tenant's current one (the default).
    ///   - replacing: overwrite an existing device.cert and device.bundle (a renewal); otherwise
    ///     they are refused.
    /// - Returns: the certificate and the newest epoch the bundle holds keys for.
    func enroll(
        requestAt requestPath: String, tenantFile: IdentityFiles.Tenant, admin: AdminSecrets, days: Int = 365,
        epoch epochAsked: Int? = nil, headOffice: Bool = false, replacing: Bool = false
    ) throws -> (Certificate, UInt64) {
        let asked = try IdentityFiles.readJSON(IdentityFiles.Request.self, from: requestPath)
        guard asked.tenant == tenantFile.tenant else {
            throw CommandFailure("the request is for tenant \(asked.tenant), this is tenant \(tenantFile.tenant)")
        }
        guard let role = Role(rawValue: asked.role), role != .hq || headOffice else {
            throw ValidationError("the request asks for role '\(asked.role)', which cannot be enrolled this way")
        }
        let scopes = try IdentityFiles.grants(asked.scopes)
        for grant in scopes where !EnrollCommand.mayHold(role, grant) {
            throw ValidationError("a \(role) device may not be granted \(grant)")
        }
        let device = try ReplicaID(asked.device)
        let directory = (requestPath as NSString).deletingLastPathComponent
        let paths = [IdentityFiles.certificate, IdentityFiles.bundle].map { IdentityFiles.path(directory, $0) }
        for path in paths where !replacing && FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(
                "\(path) already exists: \(device) is enrolled already; renew its certificate with `aisle admin renew "
                    + "--device \(device)`, or move device.cert and device.bundle aside to enrol it again")
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        let body = CertificateBody(
            tenant: try TenantID(asked.tenant), device: device, role: role, scopes: scopes,
            signingKey: try SigningPublicKey(IdentityFiles.bytes(hex: asked.signingPublicKey)),
            boxKey: try BoxPublicKey(IdentityFiles.bytes(hex: asked.boxPublicKey)),
            notAfter: try CertificateLifetime.notAfter(days: days, from: now))
        let certificate = Certificate(signing: body, with: admin.signing)
        let epoch = try issuedEpoch(asked: epochAsked)
        let bundle = try keyBundle(for: certificate, through: epoch, admin: admin)

        // The device's files are moved into place first: they are the ones that may be refused (a
        // device.cert that appeared meanwhile is not overwritten), and then nothing is written.
        // Head office's record follows, so it only ever holds a certificate the device was given:
        // `aisle admin renew` and `rotate` work from it.
        var files = StagedFiles()
        defer { files.discard() }
        try files.stage(Data(certificate.canonicalBytes), at: paths[0], replacing: replacing)
        try files.stage(Data(bundle.canonicalBytes), at: paths[1], replacing: replacing)
        // The tenant's public description, so the device can check everyone else's certificates.
        try files.stage(
            Data(contentsOf: URL(fileURLWithPath: IdentityFiles.path(dir, IdentityFiles.tenant))),
            at: IdentityFiles.path(directory, IdentityFiles.tenant), replacing: true)
        try stageRecord(of: certificate, bundle: bundle, in: &files)
        try files.commit()
        return (certificate, epoch)
    }
}

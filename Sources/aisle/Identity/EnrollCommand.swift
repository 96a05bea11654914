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
    @Option(name: .long, help: "Days until the certificate expires.") var days: Int = 365
    @Option(name: .long, help: "Issue keys up to this epoch (default: the tenant's current epoch).")
    var epoch: UInt64?

    func run() throws {
        let (tenantFile, admin) = try tenant.open()
        let asked = try IdentityFiles.readJSON(IdentityFiles.Request.self, from: request)
        guard asked.tenant == tenantFile.tenant else {
            throw CommandFailure("the request is for tenant \(asked.tenant), this is tenant \(tenantFile.tenant)")
        }
        guard let role = Role(rawValue: asked.role), role != .hq else {
            throw ValidationError("the request asks for role '\(asked.role)', which cannot be enrolled this way")
        }
        let scopes = try IdentityFiles.grants(asked.scopes)
        for grant in scopes where !Self.mayHold(role, grant) {
            throw ValidationError("a \(role) device may not be granted \(grant)")
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        let body = CertificateBody(
            tenant: try TenantID(asked.tenant), device: try ReplicaID(asked.device), role: role, scopes: scopes,
            signingKey: try SigningPublicKey(IdentityFiles.bytes(hex: asked.signingPublicKey)),
            boxKey: try BoxPublicKey(IdentityFiles.bytes(hex: asked.boxPublicKey)),
            notAfter: now + UInt64(max(1, days)) * 86_400_000)
        let certificate = Certificate(signing: body, with: admin.signing)
        let epoch = try self.epoch ?? tenant.currentEpoch()
        let bundle = try tenant.issueBundle(to: certificate, through: epoch, admin: admin)
        let directory = (request as NSString).deletingLastPathComponent
        try IdentityFiles.write(
            Data(certificate.canonicalBytes), to: IdentityFiles.path(directory, IdentityFiles.certificate))
        try IdentityFiles.write(Data(bundle.canonicalBytes), to: IdentityFiles.path(directory, IdentityFiles.bundle))
        // The tenant's public description, so the device can check everyone else's certificates.
        try IdentityFiles.replace(
            Data(contentsOf: URL(fileURLWithPath: IdentityFiles.path(tenant.dir, IdentityFiles.tenant))),
            at: IdentityFiles.path(directory, IdentityFiles.tenant))
        print(
            "enrolled \(role) \(body.device) for \(scopes.map(\.description).joined(separator: ", ")) until \(days) days from now; "
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

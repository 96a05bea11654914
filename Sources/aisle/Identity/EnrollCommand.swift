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
        let (certificate, epoch) = try tenant.enroll(
            requestAt: request, tenantFile: tenantFile, admin: admin, days: days, epoch: epoch)
        let body = certificate.body
        print(
            "enrolled \(body.role) \(body.device) for \(body.scopes.map(\.description).joined(separator: ", ")) until \(days) days from now; "
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
    /// - Parameters:
    ///   - replacing: overwrite an existing device.cert and device.bundle (a renewal); otherwise
    ///     they are refused.
    /// - Returns: the certificate and the newest epoch the bundle holds keys for.
    func enroll(
        requestAt requestPath: String, tenantFile: IdentityFiles.Tenant, admin: AdminSecrets, days: Int = 365,
        epoch: UInt64? = nil, headOffice: Bool = false, replacing: Bool = false
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
        let now = UInt64(Date().timeIntervalSince1970 * 1_000)
        let body = CertificateBody(
            tenant: try TenantID(asked.tenant), device: try ReplicaID(asked.device), role: role, scopes: scopes,
            signingKey: try SigningPublicKey(IdentityFiles.bytes(hex: asked.signingPublicKey)),
            boxKey: try BoxPublicKey(IdentityFiles.bytes(hex: asked.boxPublicKey)),
            notAfter: now + UInt64(max(1, days)) * 86_400_000)
        let certificate = Certificate(signing: body, with: admin.signing)
        let epoch = try epoch ?? currentEpoch()
        let bundle = try issueBundle(to: certificate, through: epoch, admin: admin)
        let directory = (requestPath as NSString).deletingLastPathComponent
        let files = [
            (Data(certificate.canonicalBytes), IdentityFiles.certificate),
            (Data(bundle.canonicalBytes), IdentityFiles.bundle),
        ]
        for (data, name) in files {
            let path = IdentityFiles.path(directory, name)
            try replacing ? IdentityFiles.replace(data, at: path) : IdentityFiles.write(data, to: path)
        }
        // The tenant's public description, so the device can check everyone else's certificates.
        try IdentityFiles.replace(
            Data(contentsOf: URL(fileURLWithPath: IdentityFiles.path(dir, IdentityFiles.tenant))),
            at: IdentityFiles.path(directory, IdentityFiles.tenant))
        return (certificate, epoch)
    }
}

import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

struct AdminInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a tenant: the admin signing key and the root of every scope key.",
        discussion: """
            Writes DIR/admin.key (mode 0600; keep it offline, it can certify any device and read \
            every scope) and DIR/tenant.json (public: copy it to every node). With \
            --passphrase-env the key file is sealed under an Argon2id-derived key.
            """
    )

    @Option(name: .long, help: "The tenant directory to create files in (created if missing).")
    var dir: String

    @Option(name: .long, help: "The tenant id, such as the retailer's short name.")
    var tenant: String

    @Option(name: .long, help: "An environment variable holding a passphrase to protect admin.key.")
    var passphraseEnv: String?

    func run() throws {
        let tenantID = try TenantID(tenant)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let secrets = AdminSecrets()
        let passphrase = try IdentityFiles.passphrase(fromEnvironment: passphraseEnv)
        try IdentityFiles.writeSecret(
            KeyFile.encode(secrets.secret, passphrase: passphrase), to: IdentityFiles.path(dir, IdentityFiles.adminKey))
        try IdentityFiles.writeJSON(
            IdentityFiles.Tenant(
                tenant: tenantID.rawValue, adminPublicKey: IdentityFiles.hex(secrets.signing.publicKey.bytes)),
            to: IdentityFiles.path(dir, IdentityFiles.tenant))
        print(
            "created tenant \(tenantID) in \(dir): admin.key (0600\(passphrase == nil ? "" : ", passphrase-protected")), tenant.json"
        )
    }
}

import AisleCrypto
import ArgumentParser

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
}

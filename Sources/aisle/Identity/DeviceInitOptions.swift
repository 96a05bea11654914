import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

/// What `aisle edge init` and `aisle mobile init` share: a device makes its own keys and a
/// signing request for the admin.
struct DeviceInitOptions: ParsableArguments {
    @Option(name: .long, help: "The device directory (created if missing).")
    var dir: String

    @Option(name: .long, help: "The tenant id.")
    var tenant: String

    @Option(name: .long, help: "This device's id, such as till-berlin-1 or phone-anna.")
    var device: String

    @Option(name: .long, help: "An environment variable holding a passphrase to protect device.key.")
    var passphraseEnv: String?

    /// Writes device.key (0600) and request.json asking for `role` and `scopes`.
    func initialize(role: Role, scopes: [String]) throws {
        let tenantID = try TenantID(tenant)
        let deviceID = try ReplicaID(device)
        let grants = try IdentityFiles.grants(scopes)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let secrets = DeviceSecrets()
        let passphrase = try IdentityFiles.passphrase(fromEnvironment: passphraseEnv)
        try IdentityFiles.writeSecret(
            KeyFile.encode(secrets.secret, passphrase: passphrase), to: IdentityFiles.path(dir, IdentityFiles.deviceKey)
        )
        try IdentityFiles.writeJSON(
            IdentityFiles.Request(
                tenant: tenantID.rawValue, device: deviceID.rawValue, role: role.rawValue,
                scopes: grants.map { $0.description },
                signingPublicKey: IdentityFiles.hex(secrets.signing.publicKey.bytes),
                boxPublicKey: IdentityFiles.hex(secrets.box.publicKey.bytes)),
            to: IdentityFiles.path(dir, IdentityFiles.request))
        print("created \(role) device \(deviceID) in \(dir): device.key (0600, never leaves this device), request.json")
        print("next: aisle admin enroll --dir HQ-DIR --request \(IdentityFiles.path(dir, IdentityFiles.request))")
    }
}

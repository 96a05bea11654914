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
        let deviceID = try ReplicaID(device)
        try IdentityFiles.createDevice(
            in: dir, tenant: try TenantID(tenant), device: deviceID, role: role,
            grants: try IdentityFiles.grants(scopes),
            passphrase: try IdentityFiles.passphrase(fromEnvironment: passphraseEnv))
        print("created \(role) device \(deviceID) in \(dir): device.key (0600, never leaves this device), request.json")
        print("next: aisle admin enroll --dir HQ-DIR --request \(IdentityFiles.path(dir, IdentityFiles.request))")
    }
}

extension IdentityFiles {
    /// Makes a device's keys in `dir` (created if missing): device.key (0600, sealed under
    /// `passphrase` if given) and request.json, asking the admin for `role` and `grants`.
    static func createDevice(
        in dir: String, tenant: TenantID, device: ReplicaID, role: Role, grants: [ScopeGrant], passphrase: [UInt8]?
    ) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let secrets = DeviceSecrets()
        try writeSecret(KeyFile.encode(secrets.secret, passphrase: passphrase), to: path(dir, deviceKey))
        try writeJSON(
            Request(
                tenant: tenant.rawValue, device: device.rawValue, role: role.rawValue,
                scopes: grants.map { $0.description }, signingPublicKey: hex(secrets.signing.publicKey.bytes),
                boxPublicKey: hex(secrets.box.publicKey.bytes)),
            to: path(dir, request))
    }
}

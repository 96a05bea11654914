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

/// `aisle edge init` and `aisle mobile init`: a device makes its own keys and a signing request.
struct DeviceInit {
    let dir: String
    let tenant: String
    let device: String
    let role: Role
    let scopes: [String]
    let passphraseEnv: String?

    func run() throws {
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

struct EdgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge", abstract: "The store node: a till's or kiosk's replica.",
        subcommands: [EdgeInitCommand.self])
}

struct EdgeInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create this till's or kiosk's keys and a signing request for the admin.")

    @Option(name: .long, help: "The device directory (created if missing).") var dir: String
    @Option(name: .long, help: "The tenant id.") var tenant: String
    @Option(name: .long, help: "This device's id, such as till-berlin-1.") var device: String
    @Option(name: .long, help: "The store this device sells in.") var store: String
    @Option(name: .long, help: "pos or kiosk.") var role: String = "pos"
    @Option(name: .long, help: "An environment variable holding a passphrase to protect device.key.") var passphraseEnv:
        String?

    func run() throws {
        guard let role = Role(rawValue: role), [.pos, .kiosk].contains(role) else {
            throw ValidationError("--role must be pos or kiosk, got \(role)")
        }
        try DeviceInit(
            dir: dir, tenant: tenant, device: device, role: role, scopes: ["catalog", "store:\(store)", "loyalty:*"],
            passphraseEnv: passphraseEnv
        ).run()
    }
}

struct MobileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mobile", abstract: "The shopping app on a phone, simulated.",
        subcommands: [MobileInitCommand.self])
}

struct MobileInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create this phone's keys and a signing request for the admin.")

    @Option(name: .long, help: "The phone's directory (created if missing).") var dir: String
    @Option(name: .long, help: "The tenant id.") var tenant: String
    @Option(name: .long, help: "This phone's device id.") var device: String
    @Option(name: .long, help: "The customer the phone belongs to.") var customer: String
    @Option(name: .long, help: "An environment variable holding a passphrase to protect device.key.") var passphraseEnv:
        String?

    func run() throws {
        try DeviceInit(
            dir: dir, tenant: tenant, device: device, role: .mobile,
            scopes: ["catalog", "customer:\(customer)", "loyalty:\(customer)"], passphraseEnv: passphraseEnv
        ).run()
    }
}

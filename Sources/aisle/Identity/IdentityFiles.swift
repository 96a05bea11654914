import AisleCore
import AisleCrypto
import ArgumentParser
import Foundation

/// A command that could not do its work; printed as "Error: …" without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The files of a tenant directory (`hq/`) and of a device directory (`edge/`, `phone/`).
enum IdentityFiles {
    static let tenant = "tenant.json"
    static let adminKey = "admin.key"
    static let deviceKey = "device.key"
    static let request = "request.json"
    static let certificate = "device.cert"
    static let bundle = "device.bundle"
    static let revocations = "revocations.bin"
    /// The tenant's current scope-key epoch (absent: 1).
    static let epoch = "epoch.json"
    /// Every enrolled device's certificate, and the newest bundle issued to it.
    static let devices = "devices"

    /// The tenant's scope-key generation: `aisle admin rotate` moves it on.
    struct Epoch: Codable {
        let epoch: UInt64
    }

    /// The public description of a tenant, safe to copy to every node.
    struct Tenant: Codable {
        let tenant: String
        let adminPublicKey: String
    }

    /// What a device asks the admin to certify.
    struct Request: Codable {
        let tenant: String
        let device: String
        let role: String
        let scopes: [String]
        let signingPublicKey: String
        let boxPublicKey: String
    }

    /// Writes `bytes` to `path` readable by the owner only (0600), atomically, never over an existing file.
    static func writeSecret(_ bytes: [UInt8], to path: String) throws {
        try write(Data(bytes), to: path, permissions: 0o600)
    }

    /// Writes `data` to `path` atomically, never over an existing file.
    static func write(_ data: Data, to path: String, permissions: Int = 0o644) throws {
        var files = StagedFiles()
        defer { files.discard() }
        try files.stage(data, at: path, replacing: false, permissions: permissions)
        try files.commit()
    }

    /// Replaces the public file at `path` atomically (a reader sees the old or the new file, never half).
    static func replace(_ data: Data, at path: String) throws {
        var files = StagedFiles()
        defer { files.discard() }
        try files.stage(data, at: path, replacing: true)
        try files.commit()
    }

    static func writeJSON(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(encoder.encode(value), to: path)
    }

    static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(path) does not exist")
        }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw CommandFailure("\(path) is not a valid \(type) file: \(error)")
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(path) does not exist")
        }
        return Array(data)
    }

    /// The passphrase in the environment variable `name`, if a name was given.
    static func passphrase(fromEnvironment name: String?) throws -> [UInt8]? {
        guard let name else { return nil }
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw CommandFailure("environment variable \(name) is empty or unset: export the passphrase in it")
        }
        return Array(value.utf8)
    }

    /// Opens a key file, explaining what to do when it is protected or the passphrase is wrong.
    static func openKey(_ path: String, passphraseVariable: String?) throws -> SecretBytes {
        let bytes = try read(path)
        let passphrase = try passphrase(fromEnvironment: passphraseVariable)
        if KeyFile.isProtected(bytes), passphrase == nil {
            throw CommandFailure("\(path) is protected by a passphrase: pass --passphrase-env VARIABLE")
        }
        do { return try KeyFile.decode(bytes, passphrase: passphrase) } catch {
            throw CommandFailure("cannot open \(path): wrong passphrase or damaged file")
        }
    }

    /// Parses scope grants, refusing an invalid one with the reason.
    static func grants(_ texts: [String]) throws -> [ScopeGrant] {
        try texts.map { text in
            do { return try ScopeGrant(text) } catch let error as ScopeError {
                throw ValidationError(error.description)
            }
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.hexString
    }

    static func bytes(hex: String) throws -> [UInt8] {
        guard let bytes = [UInt8](hex: hex) else { throw CommandFailure("'\(hex.prefix(16))…' is not hexadecimal") }
        return bytes
    }

    static func path(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }
}

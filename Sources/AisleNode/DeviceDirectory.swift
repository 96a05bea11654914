import AisleCore
public import AisleCrypto
public import AisleStore
import Foundation

/// A device's identity directory, as `aisle edge|mobile|hub init` and `aisle admin enroll` leave
/// it: `device.key` (0600), `device.cert`, `device.bundle`, `tenant.json`, and optionally the
/// tenant's `revocations.bin`.
public struct DeviceDirectory: Sendable {
    public let path: String

    public init(_ path: String) {
        self.path = path
    }

    private struct TenantFile: Decodable {
        let tenant: String
        let adminPublicKey: String
    }

    /// The device's identity and what it trusts: the admin key, its own certificate, the scope keys
    /// of its bundle, and the revocation list if present.
    /// - Throws: ``DeviceDirectoryError`` naming the missing or damaged file and what to do.
    public func load(passphrase: [UInt8]? = nil) throws -> (NodeIdentity, TrustStore) {
        let tenantFile: TenantFile
        do { tenantFile = try JSONDecoder().decode(TenantFile.self, from: Data(read("tenant.json"))) } catch let error
            as DeviceDirectoryError
        {
            throw error
        } catch {
            throw DeviceDirectoryError.damaged(file("tenant.json"), "\(error)")
        }
        let keyBytes = try read("device.key")
        if KeyFile.isProtected(keyBytes), passphrase == nil {
            throw DeviceDirectoryError.damaged(file("device.key"), "protected by a passphrase: give it")
        }
        let secrets: DeviceSecrets
        do { secrets = try DeviceSecrets(KeyFile.decode(keyBytes, passphrase: passphrase)) } catch {
            throw DeviceDirectoryError.damaged(file("device.key"), "wrong passphrase or damaged file")
        }
        let certificate = try decode(Certificate.self, "device.cert")
        guard certificate.body.signingKey == secrets.signing.publicKey.bytes else {
            throw DeviceDirectoryError.damaged(file("device.cert"), "certifies another device's key")
        }
        guard let adminBytes = [UInt8](hex: tenantFile.adminPublicKey), let admin = try? SigningPublicKey(adminBytes)
        else { throw DeviceDirectoryError.damaged(file("tenant.json"), "adminPublicKey is not a public key") }
        var trust = TrustStore(tenant: certificate.body.tenant, admin: admin)
        do { try trust.add(certificate) } catch {
            throw DeviceDirectoryError.damaged(file("device.cert"), "\(error)")
        }
        do {
            trust.keyring = try decode(KeyBundle.self, "device.bundle").open(with: secrets.box, admin: admin)
        } catch let error as DeviceDirectoryError {
            throw error
        } catch {
            throw DeviceDirectoryError.damaged(file("device.bundle"), "does not open for this device: \(error)")
        }
        if FileManager.default.fileExists(atPath: file("revocations.bin")) {
            do { try trust.apply(try decode(RevocationList.self, "revocations.bin")) } catch let error
                as DeviceDirectoryError
            {
                throw error
            } catch {
                throw DeviceDirectoryError.damaged(file("revocations.bin"), "\(error)")
            }
        }
        return (NodeIdentity(certificate: certificate, signing: secrets.signing), trust)
    }

    /// A node for this device over the database at `database` (created if missing), which no
    /// other process may open for a node while this one's store is open
    /// (``StoreError/inUse(path:by:)``).
    ///
    /// When the node takes a renewed certificate head office published in the catalog
    /// (``ReplicaNode/learnRenewal()``), at its start or later, it is written to `device.cert`,
    /// and `renewed` is told how that went. (A renewal the node holds is taken again at every
    /// start, so a write that failed costs nothing but the file.)
    public func openNode(
        database: String, durability: StoreConfiguration.Durability = .full, passphrase: [UInt8]? = nil,
        renewed: @escaping @Sendable (Result<Certificate, any Error>) -> Void = { _ in }
    ) throws -> ReplicaNode {
        let (identity, trust) = try load(passphrase: passphrase)
        let store = try ReplicaStore(
            StoreConfiguration(path: database, durability: durability, exclusive: true),
            replica: identity.certificate.body.device)
        let node = try ReplicaNode(store: store, identity: identity, trust: trust)
        let write: @Sendable (Certificate) -> Void = { [self] certificate in
            renewed(Result { try keep(certificate) }.map { certificate })
        }
        node.onRenewal(write)
        if node.identity.certificate != identity.certificate { write(node.identity.certificate) }
        return node
    }

    /// Writes `certificate` to `device.cert` in place of the one there (atomically: a crash
    /// leaves one or the other).
    public func keep(_ certificate: Certificate) throws {
        try Data(certificate.canonicalBytes).write(to: URL(fileURLWithPath: file("device.cert")), options: .atomic)
    }

    private func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    private func read(_ name: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file(name)) else {
            throw DeviceDirectoryError.missing(file(name))
        }
        return Array(data)
    }

    private func decode<Value: CanonicalDecodable>(_: Value.Type, _ name: String) throws -> Value {
        do { return try Value(canonicalBytes: read(name)) } catch let error as CanonicalDecodingError {
            throw DeviceDirectoryError.damaged(file(name), "\(error)")
        }
    }
}

/// A device directory that cannot be used, and what to do about it.
public enum DeviceDirectoryError: Error, CustomStringConvertible {
    case missing(String)
    case damaged(String, String)

    public var description: String {
        switch self {
        case .missing(let path):
            "\(path) is missing: run `aisle edge|mobile|hub init`, then `aisle admin enroll` for this device"
        case .damaged(let path, let problem): "\(path): \(problem)"
        }
    }
}

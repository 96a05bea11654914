public import AisleCore

/// Why an envelope was refused. Every refusal names the envelope; none carries key material or
/// payload content.
public enum EnvelopeRefusal: Error, Equatable, CustomStringConvertible {
    /// The bytes are not an envelope.
    case malformed(String)
    /// The envelope is for another tenant.
    case wrongTenant(TenantID)
    /// No certificate with the header's id is known here.
    case unknownCertificate
    /// The certificate was not signed by this tenant's admin key.
    case forgedCertificate
    /// A revocation list not signed by this tenant's admin key.
    case forgedRevocationList
    /// A revocation in the catalog not signed by this tenant's admin key.
    case forgedRevocation(CertificateID)
    /// A renewed certificate in the catalog not signed by this tenant's admin key, or not the
    /// device's its object names.
    case forgedRenewal(String)
    /// A handoff grant whose signature does not verify with its grantor's key.
    case forgedGrant
    /// The certificate names another device than the header's origin.
    case originMismatch(certified: ReplicaID, header: ReplicaID)
    /// The certificate's validity ended.
    case certificateExpired(notAfter: UInt64)
    /// The certificate is on the tenant's revocation list.
    case certificateRevoked(ReplicaID)
    /// The certificate's role or scopes do not allow writing this scope.
    case scopeNotAllowed(Role, Scope)
    /// The header's hybrid clock reading is more than `maxDrift` ahead of this node's clock.
    case clockAhead(by: UInt64, maxDrift: UInt64)
    /// The author's signature does not verify.
    case badSignature
    /// This node holds no key for the scope at the header's epoch.
    case unknownKeyEpoch(Scope, UInt64)
    /// Decryption failed: altered ciphertext, nonce or header, or another key.
    case decryptionFailed
    /// A delta inside is corrupt.
    case corruptDelta(DeltaDecodingError)
    /// A delta inside is for another scope than the header's.
    case deltaOutsideScope(Scope)
    /// A delta does something the author's role may not do, or writes in another replica's name.
    case unauthorized(String)

    public var description: String {
        switch self {
        case .malformed(let reason): "not an envelope: \(reason)"
        case .wrongTenant(let tenant): "envelope for tenant \(tenant), not this one"
        case .unknownCertificate: "signed by an unknown certificate: enrol the device first"
        case .forgedCertificate: "certificate not signed by this tenant's admin key"
        case .forgedRevocationList: "revocation list not signed by this tenant's admin key: ignored"
        case .forgedRevocation(let id): "revocation of certificate \(id) not signed by this tenant's admin key"
        case .forgedRenewal(let device): "renewed certificate of \(device) not signed by this tenant's admin key"
        case .forgedGrant: "handoff grant not signed by its grantor: ignored"
        case .originMismatch(let certified, let header): "certificate of \(certified) used by \(header)"
        case .certificateExpired(let notAfter): "certificate expired at \(notAfter) ms: renew the device"
        case .certificateRevoked(let device): "\(device) is revoked"
        case .scopeNotAllowed(let role, let scope): "a \(role) certificate may not write \(scope)"
        case .clockAhead(let ahead, let maxDrift):
            "stamped \(ahead) ms ahead of this device's clock (limit \(maxDrift) ms): check the sender's clock or this one's"
        case .badSignature: "signature does not verify: the envelope was altered"
        case .unknownKeyEpoch(let scope, let epoch): "no key for \(scope) epoch \(epoch) on this device"
        case .decryptionFailed: "decryption failed: the envelope was altered or sealed under another key"
        case .corruptDelta(let error): "corrupt delta inside: \(error)"
        case .deltaOutsideScope(let scope): "a delta for \(scope) inside an envelope of another scope"
        case .unauthorized(let what): "refused: \(what)"
        }
    }
}

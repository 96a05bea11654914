public import AisleCore

/// What an envelope says about itself, bound to its ciphertext as associated data and covered by
/// its signature, so no field can be changed or replayed elsewhere unnoticed.
public struct EnvelopeHeader: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    public let tenant: TenantID
    public let scope: Scope
    public let origin: ReplicaID
    public let seq: UInt64
    /// Which generation of the scope key sealed the payload.
    public let epoch: UInt64
    /// The origin's hybrid clock reading, packed.
    public let hlc: UInt64
    /// The id of the author's certificate.
    public let certificate: [UInt8]
    /// What the origin had applied in `scope` when it made the change (for causal delivery; a
    /// relay that cannot read the payload can still order it).
    public let dependencies: VersionVector

    public init(
        tenant: TenantID, scope: Scope, origin: ReplicaID, seq: UInt64, epoch: UInt64, hlc: UInt64,
        certificate: [UInt8],
        dependencies: VersionVector = VersionVector()
    ) {
        self.tenant = tenant
        self.scope = scope
        self.origin = origin
        self.seq = seq
        self.epoch = epoch
        self.hlc = hlc
        self.certificate = certificate
        self.dependencies = dependencies
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append("aisle-envelope-v1")
        encoder.append(tenant)
        encoder.append(scope)
        encoder.append(origin)
        encoder.append(seq)
        encoder.append(epoch)
        encoder.append(hlc)
        encoder.append(bytes: certificate)
        encoder.append(dependencies)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        guard try decoder.readString() == "aisle-envelope-v1" else { throw decoder.failure("not a v1 envelope") }
        tenant = try decoder.decode()
        let scopeText = try decoder.readString()
        do { scope = try Scope(scopeText) } catch { throw decoder.failure(error.description) }
        origin = try decoder.decode()
        seq = try decoder.readUInt64()
        epoch = try decoder.readUInt64()
        hlc = try decoder.readUInt64()
        certificate = try decoder.readBytes()
        dependencies = try decoder.decode()
    }
}

/// One sealed, signed batch of deltas: everything that leaves a node leaves as one of these.
///
/// The payload (one or more encoded deltas) is sealed with XChaCha20-Poly1305 under the scope key
/// of the header's epoch, the header as associated data; the author signs header, nonce and
/// ciphertext once per batch with Ed25519.
public struct Envelope: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    public let header: EnvelopeHeader
    public let nonce: [UInt8]
    public let ciphertext: [UInt8]
    public let signature: [UInt8]

    /// Seals and signs `deltas` (all of the header's scope).
    public init(header: EnvelopeHeader, deltas: [ObjectDelta], key: AEADKey, author: SigningKeyPair) {
        self.init(header: header, encodedDeltas: deltas.map(\.encoded), key: key, author: author)
    }

    /// Seals and signs deltas already encoded (as the change log stores them).
    public init(header: EnvelopeHeader, encodedDeltas: [[UInt8]], key: AEADKey, author: SigningKeyPair) {
        var payload = CanonicalEncoder(reservingCapacity: encodedDeltas.reduce(10) { $0 + $1.count + 5 })
        payload.append(UInt64(encodedDeltas.count))
        for delta in encodedDeltas { payload.append(bytes: delta) }
        let headerBytes = header.canonicalBytes
        let sealed = key.seal(payload.bytes, associatedData: headerBytes)
        self.header = header
        nonce = sealed.nonce
        ciphertext = sealed.ciphertext
        signature = author.sign(
            Self.signedBytes(headerBytes: headerBytes, nonce: sealed.nonce, ciphertext: sealed.ciphertext))
    }

    /// An envelope from its parts as received (the receiver checks them all).
    public init(header: EnvelopeHeader, nonce: [UInt8], ciphertext: [UInt8], signature: [UInt8]) {
        self.header = header
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.signature = signature
    }

    /// The bytes the author signs: header, nonce and ciphertext in canonical form.
    public static func signedBytes(headerBytes: [UInt8], nonce: [UInt8], ciphertext: [UInt8]) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(raw: headerBytes)
        encoder.append(bytes: nonce)
        encoder.append(bytes: ciphertext)
        return encoder.bytes
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(header)
        encoder.append(bytes: nonce)
        encoder.append(bytes: ciphertext)
        encoder.append(bytes: signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        header = try decoder.decode()
        nonce = try decoder.readBytes()
        ciphertext = try decoder.readBytes()
        signature = try decoder.readBytes()
    }
}

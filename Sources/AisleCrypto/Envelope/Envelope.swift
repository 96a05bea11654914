public import AisleCore

/// What an envelope says about itself, bound to its ciphertext as associated data and covered by
/// its signature, so no field can be changed or replayed elsewhere unnoticed.
///
/// An envelope carries one change (`seq`, `hlc`, `dependencies`), or a *run*: that change and
/// the ones its origin made right after it in the scope (``followers``), sealed and signed once
/// (docs/sync.md, "Run envelopes"). A single change keeps the v1 form byte for byte; a run is
/// v2, each follower's clock reading and dependencies written as a difference from the change
/// before it.
public struct EnvelopeHeader: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    public let tenant: TenantID
    public let scope: Scope
    public let origin: ReplicaID
    /// The sequence number of the (first) change.
    public let seq: UInt64
    /// Which generation of the scope key sealed the payload.
    public let epoch: UInt64
    /// The origin's hybrid clock reading, packed, at the (first) change.
    public let hlc: UInt64
    /// The id of the author's certificate.
    public let certificate: [UInt8]
    /// What the origin had applied in `scope` when it made the (first) change (for causal
    /// delivery; a relay that cannot read the payload can still order it).
    public let dependencies: VersionVector
    /// The changes of a run after the first, at `seq + 1`, `seq + 2`, …; empty for one change.
    public let followers: [RunFollower]

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
        followers = []
    }

    /// The header of a run: `changes` (clock reading and dependencies of each) are the origin's
    /// changes `seq`, `seq + 1`, … in order. Nil when they cannot share a header: none, a clock
    /// reading not after the one before, or dependencies that do not grow from one change to the
    /// next (each change of an origin depends on the one before it and on all it depended on), or
    /// a follower whose dependency on its own origin is not the change right before it.
    public init?(
        tenant: TenantID, scope: Scope, origin: ReplicaID, seq: UInt64, epoch: UInt64, certificate: [UInt8],
        run changes: [RunFollower]
    ) {
        guard let first = changes.first else { return nil }
        for (index, (previous, next)) in zip(changes, changes.dropFirst()).enumerated() {
            guard next.hlc > previous.hlc, next.dependencies.includes(previous.dependencies),
                next.dependencies[origin] == seq + UInt64(index)
            else { return nil }
        }
        self.tenant = tenant
        self.scope = scope
        self.origin = origin
        self.seq = seq
        self.epoch = epoch
        hlc = first.hlc
        self.certificate = certificate
        dependencies = first.dependencies
        followers = Array(changes.dropFirst())
    }

    /// How many changes the envelope carries (1 but for a run).
    public var count: Int { 1 + followers.count }

    /// The sequence number of the last change the envelope carries.
    public var lastSeq: UInt64 { seq + UInt64(followers.count) }

    /// The wall-clock milliseconds of the last change's hybrid clock reading (a run's latest).
    public var lastStampMillis: UInt64 { (followers.last?.hlc ?? hlc) >> 16 }

    /// Each change's clock reading and dependencies, first to last.
    public var changes: [RunFollower] { [RunFollower(hlc: hlc, dependencies: dependencies)] + followers }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(followers.isEmpty ? "aisle-envelope-v1" : "aisle-envelope-v2")
        encoder.append(tenant)
        encoder.append(scope)
        encoder.append(origin)
        encoder.append(seq)
        encoder.append(epoch)
        encoder.append(hlc)
        encoder.append(bytes: certificate)
        encoder.append(dependencies)
        guard !followers.isEmpty else { return }
        encoder.append(UInt64(followers.count))
        var previous = RunFollower(hlc: hlc, dependencies: dependencies)
        for follower in followers {
            encoder.append(follower.hlc - previous.hlc)
            // The origin's own entry is implied (each follower depends on the change before it).
            let grown = follower.dependencies.entries.filter {
                $0.key != origin && previous.dependencies[$0.key] != $0.value
            }
            encoder.append(UInt64(grown.count))
            for (replica, seq) in grown.sorted(by: { $0.key < $1.key }) {
                encoder.append(replica)
                encoder.append(seq)
            }
            previous = follower
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let version = try decoder.readString()
        guard version == "aisle-envelope-v1" || version == "aisle-envelope-v2" else {
            throw decoder.failure("not a v1 or v2 envelope")
        }
        tenant = try decoder.decode()
        let scopeText = try decoder.readString()
        do { scope = try Scope(scopeText) } catch { throw decoder.failure(error.description) }
        origin = try decoder.decode()
        seq = try decoder.readUInt64()
        epoch = try decoder.readUInt64()
        hlc = try decoder.readUInt64()
        certificate = try decoder.readBytes()
        dependencies = try decoder.decode()
        guard version == "aisle-envelope-v2" else {
            followers = []
            return
        }
        let count = try decoder.readCount(elementSize: 2)
        guard count > 0 else { throw decoder.failure("a run envelope without followers") }
        guard seq <= UInt64.max - UInt64(count) else { throw decoder.failure("a run past the last sequence number") }
        var followers: [RunFollower] = []
        followers.reserveCapacity(count)
        var previous = RunFollower(hlc: hlc, dependencies: dependencies)
        for index in 1...UInt64(count) {
            let step = try decoder.readUInt64()
            guard step > 0, step <= UInt64.max - previous.hlc else {
                throw decoder.failure("a run's clock readings must increase")
            }
            var dependencies = previous.dependencies
            dependencies.advance(origin, to: seq + index - 1)
            var last: ReplicaID?
            for _ in 0..<(try decoder.readCount(elementSize: 2)) {
                let replica: ReplicaID = try decoder.decode()
                let seq = try decoder.readUInt64()
                // Canonical: in replica order, each a growth (so one header has one encoding).
                guard replica != origin, last.map({ $0 < replica }) ?? true, seq > dependencies[replica] else {
                    throw decoder.failure("a run's dependencies must grow, listed in replica order")
                }
                dependencies.advance(replica, to: seq)
                last = replica
            }
            previous = RunFollower(hlc: previous.hlc + step, dependencies: dependencies)
            followers.append(previous)
        }
        self.followers = followers
    }
}

/// One change of a run envelope as its header lists it.
public struct RunFollower: Sendable, Equatable {
    /// The origin's hybrid clock reading, packed, when it made the change.
    public let hlc: UInt64
    /// What the origin had applied in the scope when it made the change.
    public let dependencies: VersionVector

    public init(hlc: UInt64, dependencies: VersionVector) {
        self.hlc = hlc
        self.dependencies = dependencies
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
        precondition(header.followers.isEmpty, "one change's deltas under a run header")
        self.init(header: header, payload: Self.payload(of: [encodedDeltas]), key: key, author: author)
    }

    /// Seals and signs a run: `changes[i]` holds the deltas of the header's change `i`, each
    /// carried in its run form (``ObjectDelta/encodedInRun(origin:)``: no scope, the origin named
    /// in one byte).
    public init(header: EnvelopeHeader, run changes: [[ObjectDelta]], key: AEADKey, author: SigningKeyPair) {
        precondition(changes.count == header.count, "one list of deltas per change of the header")
        let payload = Self.payload(of: changes.map { $0.map { $0.encodedInRun(origin: header.origin) } })
        self.init(header: header, payload: payload, key: key, author: author)
    }

    /// The plaintext of one change (its deltas, counted) or of a run (the changes, counted, each so).
    @_spi(Testing) public static func payload(of changes: [[[UInt8]]]) -> [UInt8] {
        let size = changes.reduce(10) { $0 + $1.reduce(5) { $0 + $1.count + 5 } }
        var payload = CanonicalEncoder(reservingCapacity: size)
        if changes.count > 1 { payload.append(UInt64(changes.count)) }
        for deltas in changes {
            payload.append(UInt64(deltas.count))
            for delta in deltas { payload.append(bytes: delta) }
        }
        return payload.bytes
    }

    /// Seals and signs `payload` as it is (tests make malformed ones with it).
    @_spi(Testing) public init(header: EnvelopeHeader, payload: [UInt8], key: AEADKey, author: SigningKeyPair) {
        let headerBytes = header.canonicalBytes
        let sealed = key.seal(payload, associatedData: headerBytes)
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

import AisleCore

/// A certificate or handoff grant, as a node learns and keeps it (in its store, and in a hub's
/// journal).
public enum TrustedRecord: Sendable {
    case certificate(Certificate)
    case grant(HandoffGrant)

    public var id: [UInt8] {
        switch self {
        case .certificate(let certificate): certificate.id
        case .grant(let grant): grant.id
        }
    }

    /// The certificate, if it is one.
    public var certificate: Certificate? {
        if case .certificate(let certificate) = self { certificate } else { nil }
    }

    public var canonicalBytes: [UInt8] {
        switch self {
        case .certificate(let certificate): certificate.canonicalBytes
        case .grant(let grant): grant.canonicalBytes
        }
    }
}

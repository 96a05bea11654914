import AisleCore
public import AisleCrypto
import AisleStore
import Synchronization

/// A certificate or handoff grant, as a node keeps it (in its store, and in a hub's journal).
public enum TrustedRecord: Sendable {
    case certificate(Certificate)
    case grant(HandoffGrant)

    /// The kind it is kept under.
    public var kind: String {
        switch self {
        case .certificate: ReplicaNode.certificateKind
        case .grant: ReplicaNode.grantKind
        }
    }

    public var id: [UInt8] {
        switch self {
        case .certificate(let certificate): certificate.id
        case .grant(let grant): grant.id
        }
    }

    public var canonicalBytes: [UInt8] {
        switch self {
        case .certificate(let certificate): certificate.canonicalBytes
        case .grant(let grant): grant.canonicalBytes
        }
    }
}

extension ReplicaNode {
    /// The kinds of trusted records a node keeps: device certificates and handoff grants.
    public static let certificateKind = "certificate"
    public static let grantKind = "grant"

    /// Learns a customer's handoff grant after checking it (its grantor's certificate must be
    /// known), and keeps it in the store like a certificate.
    public func learn(_ grant: HandoffGrant) async throws {
        try await learn(.grant(grant))
    }

    /// Learns a device's certificate after checking it against the admin key, and keeps it in the
    /// store, so the node can check and forward that device's changes after a restart too.
    public func learn(_ certificate: Certificate) async throws {
        try await learn(.certificate(certificate))
    }

    private func learn(_ record: TrustedRecord) async throws {
        guard try admit(record) else { return }
        try await store.keepTrusted([(record.kind, record.id, record.canonicalBytes)])
        try await journal?.keepTrusted(kind: record.kind, id: record.id, bytes: record.canonicalBytes)
    }

    /// Learns certificates and grants a hub's journal kept (another hub process checked them when
    /// its device connected), in order, each checked as `learn` checks it; keeps the new
    /// ones in the store in one write, and not again in the journal, which holds them.
    /// - Returns: the records refused, with why; the others are learnt.
    public func learnKept(_ records: [TrustedRecord]) async throws -> [(TrustedRecord, EnvelopeRefusal)] {
        var refused: [(TrustedRecord, EnvelopeRefusal)] = []
        let new = records.filter { record in
            do throws(EnvelopeRefusal) {
                return try admit(record)
            } catch {
                refused.append((record, error))
                return false
            }
        }
        if !new.isEmpty { try await store.keepTrusted(new.map { ($0.kind, $0.id, $0.canonicalBytes) }) }
        return refused
    }

    /// Adds `record` to the node's trust once it checks (a known one is not checked again).
    /// Returns whether it was new there.
    private func admit(_ record: TrustedRecord) throws(EnvelopeRefusal) -> Bool {
        switch record {
        case .certificate(let certificate): try trust.learn(certificate)
        case .grant(let grant): try trust.learn(grant)
        }
    }
}

import AisleCore
public import AisleCrypto
import AisleStore
import Synchronization

extension TrustedRecord {
    /// The kind it is kept under (in a node's store, and in a hub's journal).
    public var kind: String {
        switch self {
        case .certificate: ReplicaNode.certificateKind
        case .grant: ReplicaNode.grantKind
        }
    }
}

extension ReplicaNode {
    /// Learns what the store kept: the records checked under this node's admin key are taken as
    /// they are, the others (kept before that was noted, or under another key) are checked, and
    /// those that pass are noted as checked. One that does not (another tenant's file) is not
    /// trusted.
    func learnStoreKept() throws {
        let admin = trust.admin.bytes
        var checked: [TrustedRecord] = []
        var unchecked: [TrustedRecord] = []
        for (kind, decode) in [
            (Self.certificateKind, { TrustedRecord.certificate(try Certificate(canonicalBytes: $0)) }),
            (Self.grantKind, { TrustedRecord.grant(try HandoffGrant(canonicalBytes: $0)) }),
        ] as [(String, ([UInt8]) throws -> TrustedRecord)] {
            for (bytes, checkedBy) in try store.trustedRecords(kind: kind) {
                guard let record = try? decode(bytes) else { continue }
                if checkedBy == admin { checked.append(record) } else { unchecked.append(record) }
            }
        }
        trust.adopt(checkedEarlier: checked)
        let passed = zip(unchecked, trust.learn(unchecked)).filter { (try? $0.1.get()) != nil }.map(\.0)
        for kind in [Self.certificateKind, Self.grantKind] {
            try store.noteTrustedChecked(
                kind: kind, ids: passed.filter { $0.kind == kind }.map(\.id), checkedBy: admin)
        }
    }

    /// The kinds of trusted records a node keeps: device certificates and handoff grants.
    public static let certificateKind = "certificate"
    public static let grantKind = "grant"

    /// Learns a customer's handoff grant after checking it (its grantor's certificate must be
    /// known), and keeps it in the store like a certificate.
    public func learn(_ grant: HandoffGrant) async throws {
        try await learn([.grant(grant)])
    }

    /// Learns a device's certificate after checking it against the admin key, and keeps it in the
    /// store, so the node can check and forward that device's changes after a restart too.
    public func learn(_ certificate: Certificate) async throws {
        try await learn([.certificate(certificate)])
    }

    /// Learns certificates and grants a peer delivered with a batch, in order (a grant may name a
    /// certificate before it), each checked as a single `learn` checks it; keeps the new ones in
    /// the store in one write, and in the journal in one.
    /// - Throws: the first record's refusal, after learning and keeping the others: each stands
    ///   on its own signature, so a valid one is no less valid beside a refused one.
    public func learn(_ records: [TrustedRecord]) async throws {
        if let (_, refusal) = try await learnAndKeep(records, inJournal: true).first { throw refusal }
    }

    /// Learns certificates and grants a hub's journal kept (another hub process checked them when
    /// its device connected), in order, each checked as `learn` checks it; keeps the new
    /// ones in the store in one write, and not again in the journal, which holds them.
    /// - Returns: the records refused, with why; the others are learnt.
    public func learnKept(_ records: [TrustedRecord]) async throws -> [(TrustedRecord, EnvelopeRefusal)] {
        try await learnAndKeep(records, inJournal: false)
    }

    /// Learns `records` in order, keeps the new ones in the store in one write (and, when
    /// `inJournal`, in the journal in one), and returns the refused ones with why, in order.
    private func learnAndKeep(_ records: [TrustedRecord], inJournal: Bool) async throws -> [(
        TrustedRecord, EnvelopeRefusal
    )] {
        guard !records.isEmpty else { return [] }
        var refused: [(TrustedRecord, EnvelopeRefusal)] = []
        var new: [TrustedRecord] = []
        for (record, outcome) in zip(records, trust.learn(records)) {
            switch outcome {
            case .success(true): new.append(record)
            case .success(false): break
            case .failure(let refusal): refused.append((record, refusal))
            }
        }
        if !new.isEmpty {
            try await store.keepTrusted(new.map { ($0.kind, $0.id, $0.canonicalBytes) }, checkedBy: trust.admin.bytes)
            if inJournal { try await journal?.keepTrusted(new) }
        }
        return refused
    }
}

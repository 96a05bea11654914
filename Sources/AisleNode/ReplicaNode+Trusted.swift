public import AisleCore
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

extension TrustedRecord {
    /// How a store keeps it: a grant with its scope and end.
    var row: TrustedRow {
        switch self {
        case .certificate: TrustedRow(kind: kind, id: id, bytes: canonicalBytes)
        case .grant(let grant):
            TrustedRow(
                kind: kind, id: id, bytes: canonicalBytes, scope: grant.scope.description, notAfter: grant.notAfter)
        }
    }
}

extension ReplicaNode {
    /// Learns what the store kept: the records checked under this node's admin key are taken as
    /// they are, the others (kept before that was noted, or under another key) are checked, and
    /// those that pass are noted as checked. One that does not (another tenant's file) is not
    /// trusted. Of the handoff grants, those that ended over ``grantMemory`` ago stay on disk
    /// (``trust(for:)`` reads them back when a change needs one); one kept before its end was noted is read once more,
    /// and its end noted.
    func learnStoreKept() throws {
        let admin = trust.admin.bytes
        let cutoff = grantCutoff()
        var checked: [TrustedRecord] = []
        var unchecked: [TrustedRecord] = []
        var ends: [(id: [UInt8], scope: String, notAfter: UInt64)] = []
        for (kind, decode) in [
            (Self.certificateKind, { TrustedRecord.certificate(try Certificate(canonicalBytes: $0)) }),
            (Self.grantKind, { TrustedRecord.grant(try HandoffGrant(canonicalBytes: $0)) }),
        ] as [(String, ([UInt8]) throws -> TrustedRecord)] {
            for kept in try store.trustedRecords(kind: kind, endingFrom: cutoff, checkedBy: admin) {
                guard let record = try? decode(kept.bytes) else { continue }
                if case .grant(let grant) = record {
                    if !kept.endNoted { ends.append((grant.id, grant.scope.description, grant.notAfter)) }
                    if grant.notAfter < cutoff && kept.checkedBy == admin { continue }
                }
                if kept.checkedBy == admin { checked.append(record) } else { unchecked.append(record) }
            }
        }
        trust.adopt(checkedEarlier: checked)
        let passed = zip(unchecked, trust.learn(unchecked)).filter { (try? $0.1.get()) != nil }.map(\.0)
        for kind in [Self.certificateKind, Self.grantKind] {
            try store.noteTrustedChecked(
                kind: kind, ids: passed.filter { $0.kind == kind }.map(\.id), checkedBy: admin)
        }
        try store.noteTrustedEnds(kind: Self.grantKind, ends)
        trust.withLock { _ = $0.forgetGrants(endedBefore: cutoff) }
    }

    /// How long a node holds a handoff grant in memory after it ends (an hour): a till's change
    /// under an older one (synced late, or sent to a customer's new phone) has its grant read
    /// from the store.
    public static let grantMemory: UInt64 = 3_600_000

    /// The end before which grants are left on disk: ``grantMemory`` before now.
    private func grantCutoff() -> UInt64 {
        let now = store.wallClock()
        return now > Self.grantMemory ? now - Self.grantMemory : 0
    }

    /// Forgets the grants held in memory that ended over ``grantMemory`` ago, at most once a
    /// minute: a node sweeps as it learns new grants, the only way its memory of them grows.
    func forgetEndedGrants() {
        let now = store.wallClock()
        let due = grantSweep.withLock { next in
            guard now >= next else { return false }
            next = now + 60_000
            return true
        }
        guard due else { return }
        let cutoff = grantCutoff()
        trust.withLock { _ = $0.forgetGrants(endedBefore: cutoff) }
    }

    /// What checking or sending `envelopes` needs of this node's trust: their authors'
    /// certificates and the grants of their scopes held in memory
    /// (``TrustStore/narrowed(to:)``), with the older grants from the store that cover a till's
    /// change among them.
    func trust(for envelopes: [Envelope]) throws -> TrustStore {
        var narrowed = trust.withLock { $0.narrowed(to: envelopes) }
        let lacking = narrowed.scopesLackingGrants(envelopes)
        guard !lacking.isEmpty else { return narrowed }
        let admin = trust.admin.bytes
        let stored = try store.trustedRecords(kind: Self.grantKind, scopes: lacking.map(\.description))
            .filter { $0.checkedBy == admin }
            .compactMap { try? HandoffGrant(canonicalBytes: $0.bytes) }
        narrowed.adopt(stored: stored, covering: envelopes)
        return narrowed
    }

    /// The handoff grants a peer needs with `envelopes` of `scope`: those of the scope this node
    /// holds in memory, and the older ones in its store that a till's change among them stands on.
    public func grants(for scope: Scope, covering envelopes: [Envelope]) throws -> [HandoffGrant] {
        try trust(for: envelopes).grants[scope] ?? []
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
            try await store.keepTrusted(new.map(\.row), checkedBy: trust.admin.bytes)
            if inJournal { try await journal?.keepTrusted(new) }
            if new.contains(where: { $0.kind == Self.grantKind }) { forgetEndedGrants() }
        }
        return refused
    }
}

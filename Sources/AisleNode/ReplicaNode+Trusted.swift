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
    /// How a store keeps it: a grant with its scope and end, a certificate with its device, role
    /// and end.
    var row: TrustedRow {
        switch self {
        case .certificate(let certificate):
            TrustedRow(
                kind: kind, id: id, bytes: canonicalBytes, notAfter: certificate.body.notAfter,
                device: certificate.body.device.rawValue, role: certificate.body.role.rawValue)
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
    /// trusted. The handoff grants that ended over ``grantMemory`` ago, and the phones'
    /// certificates, stay on disk (``trust(for:)`` reads them back when a change needs one); a
    /// record kept before what it is read by was noted is read once more, and that noted. Then
    /// the certificates this node was started with are kept, if they are not yet: the store
    /// holds every certificate the node trusts (the revoked devices are counted there).
    func learnStoreKept() throws {
        let admin = trust.admin.bytes
        let startedWith = trust.withLock { Array($0.certificates.values) }
        let cutoff = grantCutoff()
        var checked: [TrustedRecord] = []
        var unchecked: [TrustedRecord] = []
        var unnoted: [TrustedRow] = []
        for (kind, decode) in [
            (Self.certificateKind, { TrustedRecord.certificate(try Certificate(canonicalBytes: $0)) }),
            (Self.grantKind, { TrustedRecord.grant(try HandoffGrant(canonicalBytes: $0)) }),
        ] as [(String, ([UInt8]) throws -> TrustedRecord)] {
            for kept in try store.trustedRecords(
                kind: kind, endingFrom: cutoff, checkedBy: admin, setAside: Role.mobile.rawValue)
            {
                guard let record = try? decode(kept.bytes) else { continue }
                if !kept.noted { unnoted.append(record.row) }
                if kept.checkedBy == admin, !Self.heldAtStart(record, cutoff: cutoff) { continue }
                if kept.checkedBy == admin { checked.append(record) } else { unchecked.append(record) }
            }
        }
        trust.adopt(checkedEarlier: checked)
        let passed = zip(unchecked, trust.learn(unchecked)).filter { (try? $0.1.get()) != nil }.map(\.0)
        for kind in [Self.certificateKind, Self.grantKind] {
            try store.noteTrustedChecked(
                kind: kind, ids: passed.filter { $0.kind == kind }.map(\.id), checkedBy: admin)
        }
        try store.noteTrusted(unnoted)
        trust.noteKept(passed.compactMap(\.certificate))
        try keep(startedWith)
        let grantors = trust.withLock { trust in
            _ = trust.forgetGrants(endedBefore: cutoff)
            trust.forgetUnusedCertificates(keeping: [])
            return trust.grants.values.joined().map(\.grantor)
        }
        // The phones that signed the grants held: a till shows each grant in use with its
        // grantor's certificate when it connects (``grantsInUse()``).
        try holdKept(grantors)
    }

    /// Whether a start holds `record` in memory: a grant in force or ended within
    /// ``grantMemory`` (of `cutoff`), a certificate of a terminal, hub or head office.
    private static func heldAtStart(_ record: TrustedRecord, cutoff: UInt64) -> Bool {
        switch record {
        case .certificate(let certificate): certificate.body.role != .mobile
        case .grant(let grant): grant.notAfter >= cutoff
        }
    }

    /// Keeps those of `held`, the certificates this node was started with (its own, the peers its
    /// files name), that its store does not keep yet.
    private func keep(_ held: [Certificate]) throws {
        let admin = trust.admin.bytes
        let kept = Set(
            try store.trustedRecords(kind: Self.certificateKind, ids: held.map(\.id))
                .filter { $0.checkedBy == admin && $0.noted }.map(\.bytes))
        try store.keepTrustedNow(
            held.filter { !kept.contains($0.canonicalBytes) }.map { TrustedRecord.certificate($0).row },
            checkedBy: admin)
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

    /// How long a node holds a phone's certificate in memory after it last learnt it or read it
    /// back from its store (between one and two of these): a hub that held every phone it ever
    /// heard from would grow with the chain's customers (about a kilobyte each), and read them all
    /// at each start.
    public static let certificateMemory: UInt64 = 600_000

    /// Forgets the grants held in memory that ended over ``grantMemory`` ago, at most once a
    /// minute, when `grants` (after learning some), and the phones' certificates not used for
    /// ``certificateMemory``, at most once per that: a node sweeps as it learns records or reads
    /// them back, the only ways its memory of them grows.
    func forgetUnusedTrust(grants: Bool) {
        let now = store.wallClock()
        let (grantsDue, certificatesDue) = trustSweep.withLock { next in
            let due = (grants && now >= next.grants, now >= next.certificates)
            if due.0 { next.grants = now + 60_000 }
            if due.1 { next.certificates = now + Self.certificateMemory }
            return due
        }
        guard grantsDue || certificatesDue else { return }
        let cutoff = grantCutoff()
        let own = Set([identity.certificate.id])
        trust.withLock { trust in
            if grantsDue { _ = trust.forgetGrants(endedBefore: cutoff) }
            if certificatesDue { trust.forgetUnusedCertificates(keeping: own) }
        }
    }

    /// Holds again the certificates `ids` that this node's store keeps, checked under its admin
    /// key, and are not held in memory now (a phone's, forgotten, or not read since the start).
    /// Each of `ids` held on return stays held for at least ``certificateMemory``.
    /// - Returns: those read back.
    @discardableResult
    func holdKept(_ ids: some Sequence<[UInt8]>) throws -> [Certificate] {
        forgetUnusedTrust(grants: false)
        let missing = trust.withLock { trust in Set(trust.use(ids)) }
        guard !missing.isEmpty else { return [] }
        let admin = trust.admin.bytes
        let found = try store.trustedRecords(kind: Self.certificateKind, ids: missing)
            .filter { $0.checkedBy == admin }
            .compactMap { try? Certificate(canonicalBytes: $0.bytes) }
        trust.withLock { $0.hold(kept: found) }
        return found
    }

    /// What checking or sending `envelopes` needs of this node's trust: their authors'
    /// certificates and the grants of their scopes held in memory
    /// (``TrustStore/narrowed(to:)``), with the older grants from the store that cover a till's
    /// change among them.
    func trust(for envelopes: [Envelope]) throws -> TrustStore {
        var narrowed = trust.withLock { $0.narrowed(to: envelopes) }
        let authors = envelopes.lazy.map(\.header.certificate).filter { narrowed.certificates[$0] == nil }
        if !authors.isEmpty { narrowed.hold(kept: try holdKept(authors)) }
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

    /// Learns certificates from the catalog (head office's renewals), each checked as `learn`
    /// checks it, and keeps the new ones in the store at once (not in the journal: every hub
    /// process reads the catalog).
    /// - Returns: for each, whether it was new, or why it was refused.
    func learnNow(_ certificates: [Certificate]) throws -> [Result<Bool, EnvelopeRefusal>] {
        let outcomes = trust.learn(certificates.map(TrustedRecord.certificate))
        let new = zip(certificates, outcomes).filter { (try? $0.1.get()) == true }.map(\.0)
        try store.keepTrustedNow(new.map { TrustedRecord.certificate($0).row }, checkedBy: trust.admin.bytes)
        trust.noteKept(new)
        return outcomes
    }

    /// Learns certificates and grants a hub's journal kept (another hub process checked them when
    /// its device connected), in order, each checked as `learn` checks it; keeps the new
    /// ones in the store in one write, and not again in the journal, which holds them.
    /// - Returns: the records refused, with why; the others are learnt.
    public func learnKept(_ records: [TrustedRecord]) async throws -> [(TrustedRecord, EnvelopeRefusal)] {
        try await learnAndKeep(records, inJournal: false)
    }

    /// Learns `records` in order, keeps the new ones in the store in one write (and, when
    /// `inJournal`, in the journal in one), and returns the refused ones with why, in order. The
    /// certificates among them, and the grants' grantors, that the store keeps already are read
    /// back first, not checked nor kept again (a phone that comes back after its certificate was
    /// forgotten here).
    private func learnAndKeep(_ records: [TrustedRecord], inJournal: Bool) async throws -> [(
        TrustedRecord, EnvelopeRefusal
    )] {
        guard !records.isEmpty else { return [] }
        try holdKept(
            records.map { record in
                switch record {
                case .certificate(let certificate): certificate.id
                case .grant(let grant): grant.grantor
                }
            })
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
            trust.noteKept(new.compactMap(\.certificate))
            if inJournal { try await journal?.keepTrusted(new) }
            forgetUnusedTrust(grants: new.contains { $0.kind == Self.grantKind })
        }
        return refused
    }
}

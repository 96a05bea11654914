import AisleCore
public import AisleCrypto
import AisleStore

/// One device as the hub sees it: when it was last heard from and how far behind it is
/// (`aisle admin status`, `GET /v1/status`).
public struct DeviceSyncStatus: Codable, Sendable, Equatable {
    /// The device's replica id.
    public let device: String
    /// Its role (pos, kiosk, mobile, …), when its certificate is known here.
    public let role: String?
    /// The stores it sells for (tills and kiosks).
    public let stores: [String]
    /// Whether it has a sync session with this hub (or, on PostgreSQL, with this process) now.
    public let connected: Bool
    /// When it last reported what it holds (milliseconds since the Unix epoch).
    public let lastContactMillis: UInt64
    /// Changes the hub holds in the device's scopes that the device has not acknowledged.
    public let lagChanges: Int
    /// Age of the oldest of those changes, in seconds (0 when it lacks none).
    public let lagSeconds: Double
    /// True when head office revoked the device (every certificate of it known here): it will
    /// never catch up, and is listed last. Absent otherwise.
    public let revoked: Bool?
    /// When its latest certificate known here expires (milliseconds since the Unix epoch; absent
    /// when none is known): after that every peer refuses it until it is renewed.
    public let certificateExpiresMillis: UInt64?

    public init(
        device: String, role: String?, stores: [String], connected: Bool, lastContactMillis: UInt64, lagChanges: Int,
        lagSeconds: Double, revoked: Bool?, certificateExpiresMillis: UInt64?
    ) {
        self.device = device
        self.role = role
        self.stores = stores
        self.connected = connected
        self.lastContactMillis = lastContactMillis
        self.lagChanges = lagChanges
        self.lagSeconds = lagSeconds
        self.revoked = revoked
        self.certificateExpiresMillis = certificateExpiresMillis
    }
}

extension ReplicaNode {
    /// Every device that ever reported what it holds to this hub (or, on PostgreSQL, to any hub
    /// process), worst first: the furthest behind in time, then in changes, then the longest
    /// silent; revoked devices last.
    ///
    /// The written reports are read and weighed a batch at a time, and only each device's
    /// totals are held: a hub with a million phones has three million reports.
    ///
    /// - Parameter connected: the certificates of the devices with a session now (they count as
    ///   heard from now, and their certificate gives their role even before they send a change).
    public func syncStatus(connected: [Certificate]) async throws -> [DeviceSyncStatus] {
        let now = store.wallClock()
        // This process's reports not written yet: newer than the written one of their scope and
        // peer, unless another process on PostgreSQL has kept a newer one since.
        var pending: [PeerAcknowledgement.Key: PeerAcknowledgement] = [:]
        for report in pendingAcknowledgements() { pending[report.key] = report }
        var lags: [ReplicaID: DeviceLag] = [:]
        func weigh(_ reports: [PeerAcknowledgement]) async throws {
            let current = reports.filter { !$0.archive }
            for (report, lacking) in zip(current, try await store.unsynced(missingFrom: current)) {
                lags[report.peer, default: DeviceLag()].add(report, lacking: lacking)
            }
        }
        try await forEachWrittenReportBatch { written in try await weigh(written.overlaid(with: &pending)) }
        try await weigh(Array(pending.values))

        let (certificates, revoked) = try devices(connected: connected)
        let connected = Set(connected.map(\.body.device))
        for device in connected where lags[device] == nil { lags[device] = DeviceLag() }
        var status = lags.map { device, lag in
            let certificate = certificates[device]
            return DeviceSyncStatus(
                device: device.rawValue, role: certificate?.role, stores: certificate?.stores ?? [],
                connected: connected.contains(device), lastContactMillis: connected.contains(device) ? now : lag.heard,
                lagChanges: lag.behind.count,
                lagSeconds: lag.behind.oldestMillis.map { now > $0 ? Double(now - $0) / 1_000 : 0 } ?? 0,
                revoked: revoked.contains(device) ? true : nil,
                certificateExpiresMillis: certificate?.notAfter)
        }
        // In place: a copy of a million rows is over 100 MB.
        status.sort {
            ($0.revoked == true ? 1 : 0, $1.lagSeconds, $1.lagChanges, $0.lastContactMillis, $0.device)
                < ($1.revoked == true ? 1 : 0, $0.lagSeconds, $0.lagChanges, $1.lastContactMillis, $1.device)
        }
        return status
    }

    /// Every report written, a batch at a time: on PostgreSQL every process's (the journal's: each
    /// keeps its reports there within seconds, and this process's not kept yet come with them),
    /// else this store's.
    private func forEachWrittenReportBatch(_ body: ([PeerAcknowledgement]) async throws -> Void) async throws {
        let size = 2_000
        if let journal {
            try await journal.forEachAcknowledgementBatch(size: size, body)
        } else {
            try await store.forEachAcknowledgementBatch(size: size, body)
        }
    }

    /// What the view shows of each device's latest certificate (of those the store keeps, which
    /// are every one the node trusts, those it holds, and those `connected` showed), and the
    /// revoked devices. A phone's is read from the store's columns, not decoded: a hub knows a
    /// million. A terminal's stores are read from its certificate, which every node holds.
    private func devices(connected: [Certificate]) throws -> (
        certificates: [ReplicaID: DeviceCertificate], revoked: Set<ReplicaID>
    ) {
        var latest: [ReplicaID: DeviceCertificate] = [:]
        for kept in try store.trustedSubjects(kind: Self.certificateKind) {
            guard let device = try? ReplicaID(kept.device), let role = kept.role, let notAfter = kept.notAfter else {
                continue
            }
            if let known = latest[device], known.notAfter >= notAfter { continue }
            latest[device] = DeviceCertificate(role: role, stores: [], notAfter: notAfter)
        }
        let held = trust.withLock { trust in trust.certificates.values.filter { $0.body.role != .mobile } }
        for certificate in held + connected {
            let body = certificate.body
            if let known = latest[body.device], known.notAfter > body.notAfter { continue }
            latest[body.device] = DeviceCertificate(
                role: body.role.rawValue, stores: body.namedStores.map(\.rawValue), notAfter: body.notAfter)
        }
        return (latest, try revokedDevices())
    }
}

/// What the status view shows of a device's certificate.
private struct DeviceCertificate {
    let role: String
    let stores: [String]
    let notAfter: UInt64
}

/// What a device's reports add up to: when it was last heard from, and what it lacks over all
/// its scopes.
private struct DeviceLag {
    var heard: UInt64 = 0
    var behind = UnsyncedChanges()

    mutating func add(_ report: PeerAcknowledgement, lacking: UnsyncedChanges) {
        heard = max(heard, report.at)
        behind.add(lacking)
    }
}

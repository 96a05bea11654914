import AisleCore
import AisleCrypto
import AisleNode
import Foundation
import Synchronization

/// The open connections, so a change delivered on one is pushed on the others, with two indexes
/// that spare a hub with thousands of connections from looking at each one per change: the
/// followers of each scope, and the tills and kiosks of each store.
actor ConnectionRegistry {
    private var connections: [UUID: SyncConnection] = [:]
    /// How to close each connection's socket from outside its own task.
    private var closers: [UUID: @Sendable (_ reason: String) async -> Void] = [:]
    /// When each established session's peer certificate ends (milliseconds since the Unix epoch).
    private var ends: [UUID: UInt64] = [:]
    /// Which connections' peers follow each scope (and each connection's scopes), kept by the
    /// connections as their peers subscribe, read without waiting for the actor.
    private nonisolated let followers = Mutex<(byScope: [Scope: Set<UUID>], byConnection: [UUID: Set<Scope>])>(
        ([:], [:]))
    /// The tills and kiosks connected now, by the stores their certificates name, and each one's
    /// stores.
    private var terminals: [StoreID: [UUID: ReplicaID]] = [:]
    private var terminalStores: [UUID: [StoreID]] = [:]

    var count: Int { connections.count }

    func add(_ connection: SyncConnection, id: UUID, close: @escaping @Sendable (_ reason: String) async -> Void) {
        connections[id] = connection
        closers[id] = close
    }

    func remove(_ id: UUID) {
        connections[id] = nil
        closers[id] = nil
        ends[id] = nil
        follow([], by: id)
        for store in terminalStores.removeValue(forKey: id) ?? [] {
            terminals[store]?[id] = nil
            if terminals[store]?.isEmpty == true { terminals[store] = nil }
        }
    }

    /// Records that the peer on connection `id` follows `scopes` now (and no others).
    nonisolated func follow(_ scopes: Set<Scope>, by id: UUID) {
        followers.withLock { followers in
            let before = followers.byConnection[id] ?? []
            for scope in before.subtracting(scopes) {
                followers.byScope[scope]?.remove(id)
                if followers.byScope[scope]?.isEmpty == true { followers.byScope[scope] = nil }
            }
            for scope in scopes.subtracting(before) { followers.byScope[scope, default: []].insert(id) }
            followers.byConnection[id] = scopes.isEmpty ? nil : scopes
        }
    }

    /// Ends the sessions of the devices whose certificates are `revoked`, telling each why, and
    /// closes their sockets. Looks at every connection: revocations are rare.
    /// - Returns: the devices disconnected.
    func endSessions(of revoked: Set<[UInt8]>) async -> [ReplicaID] {
        var ended: [ReplicaID] = []
        for (id, connection) in connections {
            guard let peer = await connection.peer, revoked.contains(peer.id) else { continue }
            try? await connection.endAsRevoked()
            await closers[id]?("revoked")
            ended.append(peer.body.device)
        }
        return ended
    }

    /// Ends the sessions whose peer's certificate ended before `now`, telling each why, and
    /// closes their sockets. Reads only the ends noted at each handshake.
    /// - Returns: the devices disconnected.
    func endSessions(endedBy now: UInt64) async -> [ReplicaID] {
        var ended: [ReplicaID] = []
        for (id, end) in ends where end < now {
            guard let connection = connections[id], let peer = await connection.peer else { continue }
            try? await connection.tick()
            await closers[id]?("certificate expired")
            ended.append(peer.body.device)
        }
        return ended
    }

    /// Notes the peer of connection `id`, whose handshake just finished: when its certificate
    /// ends, and a till or kiosk under the stores its certificate names.
    /// - Returns: those stores (none for another device).
    func established(_ id: UUID) async -> [StoreID] {
        guard let connection = connections[id], let peer = await connection.peer, connections[id] != nil else {
            return []
        }
        ends[id] = peer.body.notAfter
        guard peer.body.role.isStoreTerminal else { return [] }
        let stores = peer.body.namedStores
        terminalStores[id] = stores
        for store in stores { terminals[store, default: [:]][id] = peer.body.device }
        return stores
    }

    /// The tills and kiosks of `store` connected now.
    func tills(of store: StoreID) -> [ReplicaID] {
        tillConnections(of: store).map(\.device)
    }

    /// The tills and kiosks of `store` connected now, with their connections, by device.
    func tillConnections(of store: StoreID) -> [(device: ReplicaID, connection: SyncConnection)] {
        (terminals[store] ?? [:]).compactMap { id, device in connections[id].map { (device, $0) } }
            .sorted { $0.device < $1.device }
    }

    /// The certificates of the devices with an established session now.
    func peers() async -> [Certificate] {
        var peers: [Certificate] = []
        for connection in connections.values {
            if let peer = await connection.peer { peers.append(peer) }
        }
        return peers
    }

    /// Tells every connection but `except` whose peer follows `scope` that it has new changes
    /// (the others would push nothing): found by scope, never by looking at every connection.
    /// Each pushes in its own time (``SyncConnection/announce(_:)``): none waits for another.
    func changed(_ scope: Scope, except: UUID?) {
        for id in followers.withLock({ $0.byScope[scope] ?? [] }) where id != except {
            connections[id]?.announce(scope)
        }
    }
}

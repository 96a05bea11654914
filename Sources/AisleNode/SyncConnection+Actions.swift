import AisleCore
import AisleCrypto
import AisleStore
import AisleSync

/// Carrying out what the session asks for: frames sent, envelopes fetched and applied, snapshots
/// provided and installed, questions served and answered.
extension SyncConnection {
    /// Sends a snapshot's parts as they are read, each part's frame out before the next part is
    /// taken, so the peer installs while this side reads; returns what the last part leads to.
    private func provide(_ snapshot: SnapshotStream) async throws -> [SyncAction] {
        var parts = snapshot.makeAsyncIterator()
        var held: [UInt8]?
        while true {
            let part: [UInt8]?
            do { part = try await parts.next() } catch {
                return session.refuse("the snapshot of \(snapshot.scope) could not be read: \(error)")
            }
            guard let part else { break }
            if let earlier = held {
                try await perform(
                    session.provideSnapshot(snapshot.scope, parts: [earlier], stamp: snapshot.stamp, covers: nil))
            }
            held = part
        }
        guard let last = held else { return session.refuse("the snapshot of \(snapshot.scope) had no part") }
        return session.provideSnapshot(snapshot.scope, parts: [last], stamp: snapshot.stamp, covers: snapshot.covers)
    }

    /// Waits for the snapshot part being written, if any (see `.install` in ``perform(_:)``).
    /// - Throws: why it could not be written.
    private func installed() async throws {
        guard let part = installing else { return }
        installing = nil
        try await part.value
    }

    func perform(_ actions: [SyncAction]) async throws {
        var pending = actions[...]
        while let action = pending.popFirst() {
            // Whatever comes after a snapshot part is carried out once the part is in.
            switch action {
            case .send, .install: break
            default:
                do { try await installed() } catch {
                    pending += session.refuse("\(error)")
                    continue
                }
            }
            switch action {
            case .send(let frame):
                try await send(frame)
            case .established(let peer):
                progress(.connected(peer.body.device, peer.body.role))
                // Grants first: they let this side subscribe to the customers' scopes they cover.
                for (grant, grantor) in node.grantsInUse() { pending += session.useGrant(grant, grantor: grantor) }
                var vectors: [Scope: VersionVector] = [:]
                for scope in try scopes(peer) { vectors[scope] = try node.store.committedVector(of: scope) }
                var handOver: [Scope: VersionVector] = [:]
                for scope in try node.scopes(handedOverTo: peer) where vectors[scope] == nil {
                    handOver[scope] = try node.store.committedVector(of: scope)
                }
                try await node.store.flush()
                pending += session.subscribe(vectors, handingOver: handOver)
            case .fetch(let scope, let after, let maxBytes):
                let catchUp: CatchUp
                do {
                    catchUp = try await node.catchUp(
                        in: scope, missingFrom: after, maxBytes: maxBytes, partBytes: session.limits.maxFrameBytes / 2)
                } catch let error as StoreError {
                    pending += session.refuse("\(error)")
                    continue
                }
                switch catchUp {
                case .envelopes(let envelopes, let complete):
                    NodeMetrics.sent(envelopes.count, of: scope)
                    pending += session.provide(
                        scope, envelopes: envelopes, certificates: try node.certificates(of: envelopes),
                        grants: try node.grants(for: scope, covering: envelopes), caughtUp: complete)
                case .snapshot(let snapshot):
                    pending += try await provide(snapshot)
                }
            case .acknowledged(let scope, let vector):
                guard let peer = session.peer else { continue }
                try await node.acknowledged(scope, by: peer, vector)
                // A peer following a scope this side has not subscribed to yet (a points account a
                // till met for the first time) writes there too: follow it back.
                if !session.isSubscribed(scope), node.canSeal(scope) || node.identity.certificate.body.role == .hub,
                    node.mayShare(scope, with: peer)
                {
                    pending += session.subscribe([scope: try await durableVector(of: scope)])
                }
            case .offered(let scope, let vector):
                // A till hands over what it wrote under a handoff grant that has since ended: take
                // what this side lacks. Each change is checked at its own time, with its grant.
                guard !session.isSubscribed(scope), node.takesHandOver else { continue }
                let held = try await durableVector(of: scope)
                if !held.includes(vector) { pending += session.subscribe([scope: held]) }
            case .install(let scope, let objects, let stamp, let covers):
                // Decoded here while the part before is still being written: the two run at once.
                let part: ScopeSnapshot
                do {
                    part = try node.snapshotPart(
                        scope, objects: objects, stamp: stamp, covers: covers, from: session.peer!)
                    try await installed()
                } catch {
                    pending += session.refuse("\(error)")
                    continue
                }
                let node = node
                installing = Task { try await node.install(part) }
                // A part before the last moves no version vector: nothing waits for it but the next
                // part (or whatever comes next), and its acknowledgement is flow control only. The
                // last raises the vector, so it is in before the acknowledgement says so.
                if covers != nil {
                    do { try await installed() } catch {
                        pending += session.refuse("\(error)")
                        continue
                    }
                }
                progress(.installed(scope, objects: part.objects.objects.count, last: covers != nil))
                pending += session.applied(scope, vector: try await durableVector(of: scope))
            case .learn(let grant, let grantor):
                do {
                    try await node.learn([.certificate(grantor), .grant(grant)])
                } catch {
                    pending += session.refuse("handoff grant for \(grant.scope): \(error)")
                    continue
                }
                // The peer now writes the customer's scope too: ask it for its changes there.
                pending += session.subscribe([grant.scope: try await durableVector(of: grant.scope)])
            case .deliver(let scope, let envelopes, let certificates, let grants, let caughtUp):
                let started = ContinuousClock.now
                do {
                    try await node.learn(certificates.map(TrustedRecord.certificate) + grants.map(TrustedRecord.grant))
                    try await node.receive(envelopes, from: session.peer)
                } catch {
                    NodeMetrics.refused(error)
                    pending += session.refuse("\(error)")
                    continue
                }
                NodeMetrics.applied(envelopes.changeCount, of: scope, in: ContinuousClock.now - started)
                // Passed on to the other connections now; acknowledged once durable.
                progress(.applied(scope, count: envelopes.changeCount, caughtUp: caughtUp))
                pending += session.applied(scope, vector: try await durableVector(of: scope))
            case .caughtUp(let scope):
                progress(.caughtUp(scope))
            case .serve(let id, let request):
                guard let peer = session.peer else { continue }
                let (reply, wrote) = await node.serve(request, from: peer, recall: recall)
                // A change of this node's own is never sent before it is durable (a power cut
                // must not take back a sequence number a peer holds).
                if wrote != nil { try await node.store.flush() }
                if case .granted(_, let envelopes) = reply, let first = envelopes.first {
                    NodeMetrics.sent(envelopes.count, of: first.header.scope)
                }
                pending += session.answer(id, reply)
                if let wrote { progress(.served(wrote)) }
            case .answered(let id, let reply):
                if case .granted(_, let envelopes) = reply, !envelopes.isEmpty, let peer = session.peer {
                    let started = ContinuousClock.now
                    do {
                        try await node.learn(peer)
                        try await node.receive(envelopes)
                    } catch {
                        NodeMetrics.refused(error)
                        settle(id, with: .failure(error))
                        pending += session.refuse("the grant in reply \(id): \(error)")
                        continue
                    }
                    let scope = envelopes[0].header.scope
                    NodeMetrics.applied(envelopes.changeCount, of: scope, in: ContinuousClock.now - started)
                    progress(.applied(scope, count: envelopes.changeCount, caughtUp: false))
                }
                settle(id, with: .success(reply))
            case .close(let error):
                ended = error
                progress(.ended(error))
                failQuestions(with: error)
                throw error
            }
        }
    }
}

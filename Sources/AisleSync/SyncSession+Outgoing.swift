public import AisleCore
public import AisleCrypto
import Foundation

/// The sending side of a session: what the peer subscribed to, served in batches within the
/// window, or as a snapshot.
extension SyncSession {
    /// Hands over what a ``SyncAction/fetch(_:after:maxBytes:)`` asked for, in order, with the
    /// certificates of their authors (those not sent on this connection yet go with them).
    /// `caughtUp`: nothing more was there.
    public func provide(
        _ scope: Scope, envelopes: [Envelope], certificates: [Certificate] = [], grants: [HandoffGrant] = [],
        caughtUp: Bool
    ) -> [SyncAction] {
        guard peer != nil, var scopeState = outgoing[scope], scopeState.fetching else { return [] }
        scopeState.fetching = false
        scopeState.more = !caughtUp
        var actions: [SyncAction] = []
        if envelopes.isEmpty {
            if caughtUp, !scopeState.announcedCaughtUp {
                scopeState.announcedCaughtUp = true
                actions.append(seal(.envelopes(Wire.batch(scope, [], certificates: [], grants: [], caughtUp: true))))
            }
        } else {
            // At most the window's free batches; what does not fit is fetched again later.
            let slots = max(1, limits.window - scopeState.inFlight)
            // Certificates travel in the first batch and count against its size.
            let unsent = certificates.filter { certificatesSent.insert($0.signature).inserted }.map(\.canonicalBytes)
            let unsentGrants = grants.filter { grantsSent.insert($0.signature).inserted }.map(\.canonicalBytes)
            var batches: [[[UInt8]]] = [[]]
            var batchBytes = (unsent + unsentGrants).reduce(0) { $0 + $1.count + 8 }
            var sent = 0
            for envelope in envelopes {
                let bytes = envelope.canonicalBytes
                guard bytes.count + 8 <= Self.batchBudget(limits) else {
                    return fail(.refusedHere("an envelope of \(bytes.count) bytes exceeds the frame limit"))
                }
                if batchBytes + bytes.count + 8 > Self.batchBudget(limits), !batches[batches.count - 1].isEmpty {
                    guard batches.count < slots else { break }
                    batches.append([])
                    batchBytes = 0
                }
                batches[batches.count - 1].append(bytes)
                batchBytes += bytes.count + 8
                scopeState.sent.advance(envelope.header.origin, to: envelope.header.lastSeq)
                sent += 1
            }
            let complete = caughtUp && sent == envelopes.count
            scopeState.more = !complete
            for (index, batch) in batches.enumerated() {
                let last = index == batches.count - 1
                actions.append(
                    seal(
                        .envelopes(
                            Wire.batch(
                                scope, batch, certificates: index == 0 ? unsent : [],
                                grants: index == 0 ? unsentGrants : [], caughtUp: complete && last))))
            }
            scopeState.inFlight += batches.count
            scopeState.announcedCaughtUp = complete
        }
        outgoing[scope] = scopeState
        return actions + fetchIfReady(scope)
    }

    /// Hands over a snapshot of `scope` instead of envelopes, for a fetch that found the peer
    /// lacks changes the log no longer holds: `parts` are encoded ObjectDeltas of whole objects,
    /// each fitting a frame. A snapshot may be handed over in several calls, as its parts are
    /// read: `covers`, the version vector the parts reflect together, goes with the last call
    /// (nil until then; no fetch is asked for meanwhile). Only a hub sends snapshots (the peer
    /// refuses them from anyone else).
    public func provideSnapshot(_ scope: Scope, parts: [[UInt8]], stamp: UInt64, covers: VersionVector?)
        -> [SyncAction]
    {
        guard peer != nil, var scopeState = outgoing[scope], scopeState.fetching, !parts.isEmpty else { return [] }
        var actions: [SyncAction] = []
        for (index, part) in parts.enumerated() {
            guard part.count <= Self.batchBudget(limits) else {
                return fail(.refusedHere("a snapshot part of \(part.count) bytes exceeds the frame limit"))
            }
            var message = Aisle_Sync_V1_Snapshot()
            message.scope = scope.description
            message.objects = Data(part)
            message.stamp = stamp
            if let covers, index == parts.count - 1 {
                message.last = true
                message.covers = Wire.entries(covers)
            }
            actions.append(seal(.snapshot(message)))
        }
        scopeState.inFlight += parts.count
        guard let covers else {
            outgoing[scope] = scopeState
            return actions
        }
        scopeState.fetching = false
        scopeState.sent.join(covers)
        // Fetch again: for what came after the snapshot, or to say the peer is caught up.
        scopeState.more = true
        scopeState.announcedCaughtUp = false
        outgoing[scope] = scopeState
        return actions + fetchIfReady(scope)
    }

    func fetchIfReady(_ scope: Scope) -> [SyncAction] {
        guard var scopeState = outgoing[scope], !scopeState.fetching, scopeState.inFlight < limits.window,
            scopeState.more || scopeState.dirty
        else { return [] }
        scopeState.fetching = true
        scopeState.dirty = false
        outgoing[scope] = scopeState
        return [
            .fetch(
                scope, after: scopeState.sent,
                maxBytes: (limits.window - scopeState.inFlight) * Self.batchBudget(limits))
        ]
    }

    /// Envelope bytes one batch frame may carry (the rest of the frame is framing and sealing).
    static func batchBudget(_ limits: SyncLimits) -> Int {
        limits.maxFrameBytes - 256
    }
}

public import AisleCore
public import AisleCrypto
import Foundation

/// A question one side of an established session asks the other, answered with a ``SyncReply``:
/// how a till or phone draws on the hub's rights bank (docs/sync.md, "Rights bank").
public enum SyncRequest: Sendable, Equatable {
    /// Rights to spend `units` of the bounded counter at `key`: a store's stock of one SKU, or a
    /// customer's points account.
    case rights(ObjectKey, units: UInt64)
}

/// The answer to a ``SyncRequest``.
public enum SyncReply: Sendable, Equatable {
    /// `units` were granted (0: the peer had none to spare) by the change these envelopes carry,
    /// sealed by the peer; apply them through the node's one receive path.
    case granted(units: UInt64, envelopes: [Envelope])
    /// The peer would not answer, and why (a person can act on the reason).
    case refused(String)
}

extension SyncSession {
    /// Asks the peer `request`, as question `id` (the caller's, unique on this session); its
    /// answer comes back as ``SyncAction/answered(_:_:)`` with the same id.
    public func ask(_ request: SyncRequest, id: UInt64) -> [SyncAction] {
        guard peer != nil else { return [] }
        var message = Aisle_Sync_V1_Request()
        message.id = id
        switch request {
        case .rights(let key, let units):
            var rights = Aisle_Sync_V1_RightsRequest()
            rights.scope = key.scope.description
            rights.kind = UInt32(key.kind.rawValue)
            rights.object = key.id
            rights.units = units
            message.rights = rights
        }
        asked.insert(id)
        return [seal(.request(message))]
    }

    /// Answers the peer's question `id` (from ``SyncAction/serve(_:_:)``).
    public func answer(_ id: UInt64, _ reply: SyncReply) -> [SyncAction] {
        guard peer != nil else { return [] }
        var message = Aisle_Sync_V1_Reply()
        message.id = id
        switch reply {
        case .granted(let units, let envelopes):
            message.granted = units
            message.envelopes = envelopes.map { Data($0.canonicalBytes) }
        case .refused(let reason):
            message.refusal = reason.isEmpty ? "refused" : reason
        }
        return [seal(.reply(message))]
    }

    func onRequest(_ message: Aisle_Sync_V1_Request, peer: Certificate, now: UInt64) throws(SyncError)
        -> [SyncAction]
    {
        switch message.body {
        case .rights(let rights):
            let scope = try Wire.scope(rights.scope)
            guard rights.kind <= UInt32(UInt8.max), let kind = ObjectKind(rawValue: UInt8(rights.kind)) else {
                throw .protocolViolation("a rights request for an unknown object kind \(rights.kind)")
            }
            let key: ObjectKey
            do { key = try ObjectKey(scope: scope, kind: kind, id: rights.object) } catch {
                throw .protocolViolation("a rights request for an invalid object: \(error)")
            }
            // Asking about a scope it may not receive is not worth ending the session for.
            guard Authorization.mayReceive(peer.body, scope) || trust.isGranted(scope, to: peer.body, at: now) else {
                return answer(message.id, .refused("\(peer.body.role) \(peer.body.device) may not hold \(scope)"))
            }
            return [.serve(message.id, .rights(key, units: rights.units))]
        case nil:
            // A question this build does not know (a newer peer): say so, keep the session.
            return answer(message.id, .refused("this peer does not understand the question: upgrade it"))
        }
    }

    func onReply(_ message: Aisle_Sync_V1_Reply) throws(SyncError) -> [SyncAction] {
        guard asked.remove(message.id) != nil else {
            throw .protocolViolation("a reply to question \(message.id), which this side did not ask")
        }
        guard message.refusal.isEmpty else { return [.answered(message.id, .refused(message.refusal))] }
        var envelopes: [Envelope] = []
        for bytes in message.envelopes {
            do { envelopes.append(try Envelope(canonicalBytes: Array(bytes))) } catch {
                throw .protocolViolation("an envelope in reply \(message.id) does not parse: \(error)")
            }
        }
        return [.answered(message.id, .granted(units: message.granted, envelopes: envelopes))]
    }
}

import AisleCore
import Foundation

/// Conversions between the protocol's messages and Aisle's types; what comes from the peer is
/// validated (a bad scope or replica id is a protocol violation).
enum Wire {
    static func scopeVector(_ scope: Scope, _ vector: VersionVector) -> Aisle_Sync_V1_ScopeVector {
        var message = Aisle_Sync_V1_ScopeVector()
        message.scope = scope.description
        message.entries = entries(vector)
        return message
    }

    static func entries(_ vector: VersionVector) -> [Aisle_Sync_V1_VersionEntry] {
        vector.entries.keys.sorted().map { origin in
            var entry = Aisle_Sync_V1_VersionEntry()
            entry.origin = origin.rawValue
            entry.seq = vector[origin]
            return entry
        }
    }

    static func parse(_ message: Aisle_Sync_V1_ScopeVector) throws(SyncError) -> (Scope, VersionVector) {
        let scope = try self.scope(message.scope)
        return (scope, try vector(message.entries, of: scope))
    }

    static func vector(_ message: [Aisle_Sync_V1_VersionEntry], of scope: Scope) throws(SyncError) -> VersionVector {
        var entries: [ReplicaID: UInt64] = [:]
        for entry in message {
            let origin: ReplicaID
            do { origin = try ReplicaID(entry.origin) } catch {
                throw .protocolViolation("version vector of \(scope): \(error)")
            }
            guard entries.updateValue(entry.seq, forKey: origin) == nil else {
                throw .protocolViolation("version vector of \(scope) names \(origin) twice")
            }
        }
        return VersionVector(entries)
    }

    static func scope(_ text: String) throws(SyncError) -> Scope {
        do { return try Scope(text) } catch {
            throw .protocolViolation("'\(text.prefix(80))' is not a scope: \(error)")
        }
    }

    /// An identifier the peer sent (`what` names it in the violation).
    static func parse<Kind>(_: Identifier<Kind>.Type, _ text: String, _ what: String) throws(SyncError)
        -> Identifier<Kind>
    {
        do { return try Identifier<Kind>(text) } catch {
            throw .protocolViolation("'\(text.prefix(80))' is not a \(what): \(error)")
        }
    }

    /// A certificate, grant or other canonical value the peer sent.
    static func decode<Value: CanonicalDecodable>(_: Value.Type, _ bytes: Data, _ what: String) throws(SyncError)
        -> Value
    {
        do { return try Value(canonicalBytes: Array(bytes)) } catch {
            throw .protocolViolation("\(what) does not parse: \(error)")
        }
    }

    static func batch(
        _ scope: Scope, _ envelopes: [[UInt8]], certificates: [[UInt8]], grants: [[UInt8]], caughtUp: Bool
    ) -> Aisle_Sync_V1_Envelopes {
        var message = Aisle_Sync_V1_Envelopes()
        message.scope = scope.description
        message.envelopes = envelopes.map { Data($0) }
        message.certificates = certificates.map { Data($0) }
        message.grants = grants.map { Data($0) }
        message.caughtUp = caughtUp
        return message
    }
}

extension Aisle_Sync_V1_Frame.OneOf_Body {
    var name: String {
        switch self {
        case .hello: "Hello"
        case .proof: "Proof"
        case .sealed: "sealed frame"
        case .refusal: "Refusal"
        }
    }
}

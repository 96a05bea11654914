public import AisleCore
public import AisleCrypto
import AisleStore
import Foundation

/// A cart handoff: what a phone shows (as text or a QR code) so a till of the chosen store can
/// read and write the customer's cart: the customer's signed grant for that store, the signing
/// phone's certificate, the cart's id, and the customer scope's key.
///
/// The code carries the scope key itself, so it is shown briefly and scanned at the counter, like a
/// boarding pass: whoever reads it can read the customer's scope. Sealing the key to the store's
/// own key instead needs the phone to know that key, which it does not yet (docs/security.md).
public struct Handoff: Sendable {
    public let grant: HandoffGrant
    public let grantor: Certificate
    public let cart: CartID
    public let epoch: UInt64
    let key: AEADKey

    static let magic = "aisle-handoff-v1"

    /// The text form: base64url of the canonical bytes.
    public var code: String {
        var encoder = CanonicalEncoder()
        encoder.append(Self.magic)
        encoder.append(grant)
        encoder.append(grantor)
        encoder.append(cart)
        encoder.append(epoch)
        encoder.append(bytes: key.secret.copyBytes())
        return Data(encoder.bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Reads a scanned code.
    /// - Throws: ``HandoffError/malformed(_:)`` for anything that is not a handoff code.
    public init(code: String) throws(HandoffError) {
        var base64 = code.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { throw .malformed("not base64url text") }
        var decoder = CanonicalDecoder(Array(data))
        do {
            guard try decoder.readString() == Self.magic else { throw HandoffError.malformed("not a handoff code") }
            grant = try decoder.decode()
            grantor = try decoder.decode()
            cart = try decoder.decode()
            epoch = try decoder.readUInt64()
            key = try AEADKey(SecretBytes(copying: decoder.readBytes()))
            try decoder.finish()
        } catch let error as HandoffError {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    init(grant: HandoffGrant, grantor: Certificate, cart: CartID, epoch: UInt64, key: AEADKey) {
        self.grant = grant
        self.grantor = grantor
        self.cart = cart
        self.epoch = epoch
        self.key = key
    }

    /// The customer whose cart this is.
    public var customer: CustomerID? {
        if case .customer(let customer) = grant.scope { return customer }
        return nil
    }
}

/// A handoff that cannot be made or accepted.
public enum HandoffError: Error, CustomStringConvertible {
    case malformed(String)
    /// This device holds no key for the customer's scope (a phone of another customer).
    case noKey(Scope)
    /// The grant does not check (forged, expired, another store's, another tenant's).
    case refused(String)

    public var description: String {
        switch self {
        case .malformed(let problem): "not a handoff code: \(problem)"
        case .noKey(let scope): "no key for \(scope) on this device"
        case .refused(let reason): "handoff refused: \(reason)"
        }
    }
}

extension ReplicaNode {
    /// A handoff of cart `cart` of this phone's customer to the tills of `store`, valid for
    /// `minutes` (changes the tills stamp later are refused).
    public func handoff(of cart: CartID, in customer: CustomerID, to store: StoreID, minutes: UInt64 = 15)
        throws(HandoffError) -> Handoff
    {
        let scope = Scope.customer(customer)
        let trust = trustSnapshot
        guard let epoch = trust.keyring.newestEpoch(for: scope), let key = trust.key(for: scope, epoch: epoch) else {
            throw .noKey(scope)
        }
        let grant = HandoffGrant(
            scope: scope, to: store, until: nowMillis() + minutes * 60_000, by: identity.certificate,
            signing: identity.signing)
        return Handoff(grant: grant, grantor: identity.certificate, cart: cart, epoch: epoch, key: key)
    }

    /// Accepts a scanned handoff at a till: checks the grant (signed by a device of the customer,
    /// for this till's store, not expired), takes the customer scope's key for this process's
    /// life, and keeps the grant and its signer's certificate so sync can use them.
    public func accept(_ handoff: Handoff) async throws {
        let now = nowMillis()
        guard now <= handoff.grant.notAfter else {
            throw HandoffError.refused("the code has expired: ask for a new one")
        }
        let own = identity.certificate.body
        guard own.role.isStoreTerminal, own.scopes.contains(where: { $0.covers(.store(handoff.grant.store)) })
        else {
            throw HandoffError.refused("the code is for the tills of store \(handoff.grant.store), not this device")
        }
        do {
            try await learn(handoff.grantor)
            try await learn(handoff.grant)
        } catch {
            throw HandoffError.refused("\(error)")
        }
        hold(handoff.key, for: handoff.grant.scope, epoch: handoff.epoch)
    }

    private func nowMillis() -> UInt64 { store.wallClock() }
}

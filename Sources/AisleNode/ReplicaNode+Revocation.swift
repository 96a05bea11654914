public import AisleCrypto
import AisleStore
import Synchronization

extension ReplicaNode {
    /// Learns the revocations head office published in the catalog and this node's store holds:
    /// the devices they name are refused from now on, and the observers are told
    /// (``onRevocation(_:)``).
    /// - Returns: the certificate ids newly revoked.
    @discardableResult
    public func learnRevocations() throws -> [[UInt8]] {
        let revocations = try store.revocations()
        let new = trust.withLock { $0.learn(revocations) }
        if !new.isEmpty { revocationObservers.tell(new) }
        return new
    }

    /// Takes a signed revocation list: the devices on it are refused from now on.
    public func apply(_ revocations: RevocationList) throws(EnvelopeRefusal) {
        let new = try trust.withLock { trust throws(EnvelopeRefusal) in try trust.apply(revocations) }
        if !new.isEmpty { revocationObservers.tell(Array(new)) }
    }

    /// Calls `observer` with the certificate ids this node revokes from now on, each time it
    /// learns some (a server ends those devices' open sessions). Keep it short: it runs on the
    /// thread that learnt them.
    public func onRevocation(_ observer: @escaping @Sendable ([[UInt8]]) -> Void) {
        revocationObservers.add(observer)
    }
}

/// Who is told of what a node learns from the catalog: new revocations
/// (``ReplicaNode/onRevocation(_:)``), its renewed certificate (``ReplicaNode/onRenewal(_:)``).
final class Observers<Value: Sendable>: Sendable {
    private let observers = Mutex<[@Sendable (Value) -> Void]>([])

    func add(_ observer: @escaping @Sendable (Value) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func tell(_ value: Value) {
        for observer in observers.withLock({ $0 }) { observer(value) }
    }
}

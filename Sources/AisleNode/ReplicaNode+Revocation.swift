public import AisleCrypto
import AisleStore
import Foundation
import Synchronization

extension ReplicaNode {
    /// Learns the revocations head office published in the catalog and this node's store holds:
    /// the devices they name are refused from now on, and their open sessions end
    /// (``revocation(of:)``).
    /// - Returns: the certificate ids newly revoked.
    @discardableResult
    public func learnRevocations() throws -> [[UInt8]] {
        let revocations = try store.revocations()
        let new = trust.withLock { $0.learn(revocations) }
        revocationWaiters.resumeAll(new)
        return new
    }

    /// Takes a signed revocation list: the devices on it are refused from now on.
    public func apply(_ revocations: RevocationList) throws(EnvelopeRefusal) {
        try trust.withLock { trust throws(EnvelopeRefusal) in try trust.apply(revocations) }
        revocationWaiters.resumeAll(Array(revocations.revoked))
    }

    /// Returns once the certificate whose id is `certificate` is revoked here (at once when it
    /// is already), or when the calling task is cancelled: a server ends the device's session
    /// then. Costs nothing while it waits (no polling), so every idle connection can wait.
    public func revocation(of certificate: [UInt8]) async {
        let key = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                revocationWaiters.add(continuation, for: certificate, key: key)
                // Checked after waiting began: a revocation learnt before is seen here, one learnt
                // after resumes the waiter, and a cancellation before either does too.
                if Task.isCancelled || trust.withLock({ $0.revoked.contains(certificate) }) {
                    revocationWaiters.resume(certificate, key: key)
                }
            }
        } onCancel: {
            revocationWaiters.resume(certificate, key: key)
        }
    }
}

/// Tasks waiting for a certificate's revocation (``ReplicaNode/revocation(of:)``), each resumed
/// exactly once: by the revocation, or by its cancellation.
final class RevocationWaiters: Sendable {
    private let waiting = Mutex<[[UInt8]: [UUID: CheckedContinuation<Void, Never>]]>([:])

    func add(_ continuation: CheckedContinuation<Void, Never>, for certificate: [UInt8], key: UUID) {
        waiting.withLock { $0[certificate, default: [:]][key] = continuation }
    }

    /// Resumes the waiter `key` of `certificate`, if it still waits.
    func resume(_ certificate: [UInt8], key: UUID) {
        let continuation = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            let continuation = waiting[certificate]?.removeValue(forKey: key)
            if waiting[certificate]?.isEmpty == true { waiting[certificate] = nil }
            return continuation
        }
        continuation?.resume()
    }

    /// Resumes every waiter of `certificates`.
    func resumeAll(_ certificates: [[UInt8]]) {
        guard !certificates.isEmpty else { return }
        let continuations = waiting.withLock { waiting in
            certificates.flatMap { waiting.removeValue(forKey: $0).map { Array($0.values) } ?? [] }
        }
        for continuation in continuations { continuation.resume() }
    }
}

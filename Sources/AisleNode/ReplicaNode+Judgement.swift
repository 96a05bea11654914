import AisleCore
import AisleCrypto

extension ReplicaNode {
    /// How a received envelope is judged.
    enum Judgement {
        /// Every check as of now.
        case live
        /// As when a hub process kept it in the shared journal after every check: at
        /// ``keptTime(_:)``, and revocations learnt since do not refuse it
        /// (``TrustStore/judgingKept``).
        case kept
        /// Live for the envelopes the peer that connected with this certificate wrote itself; as
        /// kept for those it passes on, which a node accepted after every check when their author
        /// connected to it. A device whose certificate has expired or been revoked since cannot
        /// connect anywhere that knows it, and its earlier changes keep reaching the devices that
        /// lack them (refusing them here ended every session with the peer, and a till enrolled
        /// after a revocation never synced its store).
        case relayedBy(Certificate)

        func isLive(_ header: EnvelopeHeader) -> Bool {
            switch self {
            case .live: true
            case .kept: false
            case .relayedBy(let peer): header.origin == peer.body.device
            }
        }

        /// The time a live envelope is judged at: now; or its last change's clock reading, if
        /// earlier, when its author connected with a renewal of the certificate its header names
        /// (as `trust` holds it: the same device, role, scopes and keys, ending later).
        ///
        /// Why: a device seals its changes when they are first sent, or as they are written while
        /// a connection is open, and keeps the envelope. Those sealed under the certificate a
        /// renewal replaced and not yet sent when it ended (the link went down first, for longer
        /// than the renewal window) were refused as expired by every peer that lacked them, and
        /// every session of the device ended at the first one: its changes since never left it.
        /// They were written while that certificate was in force, and the same keys are
        /// certified now. Revocation still refuses them: the certificate named is checked, and
        /// head office's `revoke` revokes its renewals with it.
        func liveTime(of header: EnvelopeHeader, trust: TrustStore, now: UInt64) -> UInt64 {
            // A certificate is never its own renewal (it would end later than itself).
            guard case .relayedBy(let peer) = self, let named = trust.certificates[header.certificate],
                named.body.isRenewed(by: peer.body)
            else { return now }
            return min(now, header.lastStampMillis)
        }
    }
}

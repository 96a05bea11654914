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
        /// Live for the envelopes `peer` wrote itself; as kept for those it passes on, which a node
        /// accepted after every check when their author connected to it. A device whose
        /// certificate has expired or been revoked since cannot connect anywhere that knows it, and
        /// its earlier changes keep reaching the devices that lack them (refusing them here ended
        /// every session with the peer, and a till enrolled after a revocation never synced its
        /// store).
        case relayedBy(ReplicaID)

        func isLive(_ header: EnvelopeHeader) -> Bool {
            switch self {
            case .live: true
            case .kept: false
            case .relayedBy(let peer): header.origin == peer
            }
        }
    }
}

import Metrics

extension HubLink {
    /// Samples whether the link is up into `aisle_sync_link_up` (1 or 0), labelled with its URL
    /// and `peer: hub` for the edge's hub link, `peer: edge` for a link to another till's edge.
    /// Run it every few seconds.
    public func sampleLink(isHub: Bool) async {
        Gauge(label: EdgeMetrics.linkUp, dimensions: [("peer", isHub ? "hub" : "edge"), ("url", url)])
            .record(await isConnected ? 1 : 0)
    }
}

/// The names of the metrics the edge's own code reports (the node's are in `NodeMetrics`).
public enum EdgeMetrics {
    public static let linkUp = "aisle_sync_link_up"
}

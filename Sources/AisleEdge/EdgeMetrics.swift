import Hummingbird
import Metrics
import Prometheus

/// `GET /metrics` on the edge (docs/operations.md).
extension EdgeAPI {
    /// The Prometheus text exposition format's content type.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Serves `registry` at `GET /metrics` in the Prometheus text format.
    func addMetricsRoute(_ registry: PrometheusCollectorRegistry, to router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Self.metricsContentType],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

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

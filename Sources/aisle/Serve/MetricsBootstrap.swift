import AisleCrypto
import AisleEdge
import AisleHub
import AisleNode
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// This process's metrics: swift-metrics bootstrapped once, on first use, with a Prometheus
/// factory over one registry, which `hub serve` and `edge serve` serve at `GET /metrics`
/// (docs/operations.md). Touch ``registry`` first thing in a serving command, before any metric
/// is recorded.
enum ProcessMetrics {
    /// The registry every metric of this process is in.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A delivered batch applies in about a millisecond on a laptop; seconds mean trouble.
        // The PostgreSQL journal's keep and follow take a round trip or two: the same buckets.
        let buckets: [Duration] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5),
        ]
        for name in [
            NodeMetrics.Name.apply, HubMetrics.journalKeep, HubMetrics.journalFollow, HubMetrics.journalOwnWrite,
        ] {
            factory.durationHistogramBuckets[name] = buckets
        }
        MetricsSystem.bootstrap(factory)
        NodeMetrics.declare()
        return registry
    }()

    /// The Prometheus text exposition format's content type.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Serves ``registry`` at `GET /metrics` in the Prometheus text format (hub and edge).
    static func addRoute(to router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: contentType],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

extension Logger {
    /// Logs a renewed certificate the node took from the catalog (``DeviceDirectory/openNode``):
    /// in use, and kept in device.cert, or why the file could not be written.
    func renewed(_ result: Result<Certificate, any Error>) {
        switch result {
        case .success(let certificate):
            let until = Date(timeIntervalSince1970: Double(certificate.body.notAfter) / 1_000)
            notice(
                "certificate renewed by head office: in use, and kept in device.cert",
                metadata: ["device": "\(certificate.body.device)", "until": "\(until)"])
        case .failure(let failure):
            error(
                "certificate renewed by head office and in use, but device.cert could not be written: it is taken again at the next start",
                metadata: ["error": "\(failure)"])
        }
    }
}

extension ReplicaNode {
    /// Logs this device's certificate's expiry at start: a warning within `soon` (30 days), an
    /// error once it has expired (every peer then refuses the device).
    func logCertificateExpiry(logger: Logger, soon: Double = 30 * 86_400) {
        let seconds = certificateExpirySeconds
        let metadata: Logger.Metadata = ["days_left": "\(Int((seconds / 86_400).rounded(.down)))"]
        if seconds <= 0 {
            logger.error(
                "this device's certificate has expired: every peer refuses it; renew it with `aisle admin renew`",
                metadata: metadata)
        } else if seconds < soon {
            logger.warning(
                "this device's certificate expires soon: renew it with `aisle admin renew --hub` (a phone's: install it)",
                metadata: metadata)
        }
    }
}

/// Samples gauges every few seconds until graceful shutdown (what waits to sync, connections),
/// off the commit path. The first sample is taken at once.
struct MetricsSampling: Service {
    var interval: Duration = .seconds(5)
    let logger: Logger
    let sample: @Sendable () async throws -> Void

    func run() async throws {
        try? await cancelWhenGracefulShutdown { [interval, logger, sample] in
            while !Task.isCancelled {
                // A failed sample leaves the gauges at their last values; the next may succeed.
                do { try await sample() } catch {
                    logger.notice("sampling metrics failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// The hub's: its open files, its certificate's expiry, the certificates and grants it holds, its connections by role, and per store what the store's terminals lack (those
    /// heard from within `retention`).
    static func hub(_ hub: SyncServer, retention: Duration, logger: Logger) -> MetricsSampling {
        let files = OpenFiles.Watch(logger: logger)
        return MetricsSampling(logger: logger) {
            files.sample()
            hub.node.sampleCertificateExpiry()
            hub.node.sampleHeldTrust()
            await hub.sampleConnections()
            try await hub.node.sampleSyncBacklog(peerRetention: retention)
        }
    }

    /// An edge's: its open files, its certificate's expiry, the certificates and grants it holds, its links up or down, the terminals connected to it, and its outbox.
    static func edge(server: SyncServer, links: [HubLink], logger: Logger) -> MetricsSampling {
        let files = OpenFiles.Watch(logger: logger)
        return MetricsSampling(logger: logger) {
            files.sample()
            server.node.sampleCertificateExpiry()
            server.node.sampleHeldTrust()
            for (index, link) in links.enumerated() { await link.sampleLink(isHub: index == 0) }
            await server.sampleConnections()
            try await server.node.sampleSyncBacklog()
        }
    }
}

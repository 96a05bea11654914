import AisleTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("GET /metrics on a real hub and edge")
struct MetricsProcessTests {
    @Test(
        "both serve Prometheus text with every metric named and typed; a till's write during a hub outage fills its outbox, which drains on reconnect as the hub's received counter moves"
    )
    func metricsAreScrapedAndMove() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        var (hub, hubPort) = try await store.world.startHub()
        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        let hubMetrics = "http://127.0.0.1:\(hubPort)/metrics"
        let edgeMetrics = till + "/metrics"

        let before = try await Exposition.scrape(hubMetrics)
        #expect(before.contentType.hasPrefix("text/plain; version=0.0.4"), "\(before.contentType)")
        let receivedBefore = before.sum("aisle_envelopes_received_total", ["scope": "store"])

        // The hub goes away; the till keeps selling, and its outbox (sampled every few seconds)
        // shows the write waiting, and for how long.
        #expect(hub.stop(SIGTERM) == 0, "\(hub.text)")
        let (status, cart) = try await jsonRequest(
            "POST", till + "/v1/carts/walk-in-1/lines", ["sku": "milk", "quantity": 2])
        #expect(status == 200, "\(cart)")
        #expect(
            try await eventually {
                let edge = try await Exposition.scrape(edgeMetrics)
                return edge.sum("aisle_outbox_changes", ["store": "berlin"]) >= 1
                    && edge.sum("aisle_oldest_unsynced_change_seconds", ["store": "berlin"]) > 0
                    && edge.sum("aisle_sync_link_up", ["peer": "hub"]) == 0
            })

        // The hub returns on its port; the write reaches it: its received counter moves, the till
        // is seen connected, and once the hub has acknowledged the write the outbox is empty.
        hub = try ServerProcess(
            AisleCommandTests.executable,
            ["hub", "serve", "--config", store.world.hub + "/hub.json", "--port", "\(hubPort)"])
        hubPort = try #require(try await hub.listeningPort())
        #expect(try await hubLink(of: till))
        #expect(
            try await eventually {
                try await Exposition.scrape(hubMetrics).sum("aisle_envelopes_received_total", ["scope": "store"])
                    > receivedBefore
            })
        #expect(
            try await eventually {
                let hub = try await Exposition.scrape(hubMetrics)
                let edge = try await Exposition.scrape(edgeMetrics)
                return hub.sum("aisle_connected_devices", ["role": "pos"]) == 1
                    && edge.sum("aisle_outbox_changes", ["store": "berlin"]) == 0
                    && edge.sum("aisle_oldest_unsynced_change_seconds", ["store": "berlin"]) == 0
                    && edge.sum("aisle_sync_link_up", ["peer": "hub"]) == 1
                    && hub.samples.contains { $0.name == "aisle_oldest_unsynced_change_seconds" }
            })

        let hubScrape = try await Exposition.scrape(hubMetrics)
        let edgeScrape = try await Exposition.scrape(edgeMetrics)
        let common = [
            ("aisle_envelopes_received_total", "counter"), ("aisle_envelopes_sent_total", "counter"),
            ("aisle_envelopes_refused_total", "counter"), ("aisle_apply_seconds", "histogram"),
            ("aisle_rights_grants_total", "counter"), ("aisle_rights_granted_units_total", "counter"),
            ("aisle_outbox_changes", "gauge"), ("aisle_oldest_unsynced_change_seconds", "gauge"),
            ("aisle_connected_devices", "gauge"), ("aisle_certificate_expiry_seconds", "gauge"),
            ("aisle_certificates_held", "gauge"), ("aisle_handoff_grants_held", "gauge"),
            ("aisle_connections_timed_out_total", "counter"), ("process_open_fds", "gauge"),
            ("process_max_fds", "gauge"),
        ]
        for (name, type) in common {
            #expect(hubScrape.types[name] == type, "hub \(name): \(hubScrape.types[name] ?? "missing")")
            #expect(edgeScrape.types[name] == type, "edge \(name): \(edgeScrape.types[name] ?? "missing")")
        }
        #expect(edgeScrape.types["aisle_sync_link_up"] == "gauge")
        // The hub holds its own certificate and the till's, which connected.
        #expect(hubScrape.sum("aisle_certificates_held", ["role": "pos"]) >= 1)
        #expect(hubScrape.sum("aisle_certificates_held", ["role": "hub"]) >= 1)
        // Refusals are labelled by reason, declared at zero before any happens.
        #expect(hubScrape.sum("aisle_envelopes_refused_total", ["reason": "bad_signature"]) == 0)
        #expect(hubScrape.sum("aisle_envelopes_refused_total") == 0)
        // The hub timed the batch it applied; the edge counted what it sent.
        #expect(hubScrape.sum("aisle_apply_seconds_count") >= 1)
        #expect(hubScrape.samples.contains { $0.name == "aisle_apply_seconds_bucket" && $0.labels["le"] == "+Inf" })
        #expect(edgeScrape.sum("aisle_envelopes_sent_total", ["scope": "store"]) >= 1)
        #expect(hubScrape.sum("aisle_oldest_unsynced_change_seconds", ["store": "berlin"]) >= 0)
        // No label names a cart or a customer.
        for sample in hubScrape.samples + edgeScrape.samples {
            #expect(!sample.labels.values.contains { $0.contains("walk-in-1") || $0.contains("anna") }, "\(sample)")
        }

        for server in [edge, hub] {
            let stopped = server.stop(SIGTERM)
            #expect(stopped == 0, "\(server.text)")
        }
    }
}

/// A scrape in the Prometheus text format, parsed: `# TYPE name type` lines and
/// `name{label="value",…} value` samples.
struct Exposition {
    struct Sample: CustomStringConvertible {
        let name: String
        let labels: [String: String]
        let value: Double
        var description: String { "\(name)\(labels) \(value)" }
    }

    var contentType = ""
    var types: [String: String] = [:]
    var samples: [Sample] = []

    static func scrape(_ url: String) async throws -> Exposition {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        var exposition = try Exposition(parsing: String(decoding: data, as: UTF8.self))
        exposition.contentType = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") ?? ""
        return exposition
    }

    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "not a Prometheus text line: \(line)" }
    }

    init(parsing text: String) throws {
        for line in text.split(separator: "\n").map(String.init) where !line.isEmpty {
            if line.hasPrefix("#") {
                let words = line.split(separator: " ").map(String.init)
                if words.count == 4, words[1] == "TYPE" { types[words[2]] = words[3] }
                continue
            }
            samples.append(try Self.sample(line))
        }
    }

    private static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw Malformed(line: line) }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw Malformed(line: line) }
                rest = rest.dropFirst()
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw Malformed(line: line) }
            }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard !name.isEmpty, let first = fields.first, let value = Double(first) ?? Self.special(first) else {
            throw Malformed(line: line)
        }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func special(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: nil
        }
    }

    /// The sum of the samples of `name` whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }
}

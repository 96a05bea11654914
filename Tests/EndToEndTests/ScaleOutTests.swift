import AisleTesting
import Foundation
import Synchronization
import Testing

/// Two hub processes on one real PostgreSQL server, with real edges, on 127.0.0.1.
@Suite("Hubs scaled out on PostgreSQL, with real processes", .serialized)
struct ScaleOutTests {
    @Test(
        "edges on different hubs converge through PostgreSQL, each hub timing its part; a hub killed under load hands its edges to the other with no acknowledged change lost, while the journal is compacted every second"
    )
    func edgesConvergeAndFailOver() async throws {
        let postgres = try PostgresServer()
        let store = try StoreWorld()
        defer { withExtendedLifetime((store, postgres)) {} }
        let config = """
            {"host": "127.0.0.1", "port": 0, "database": "hub.db", "identity": ".",
             "compaction": {"journalEverySeconds": 1, "journalMinimumChanges": 1}}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: store.world.hub + "/hub.json"))
        let (hub1, port1) = try await store.world.startHub(storage: postgres.url)
        let (hub2, port2) = try await store.world.startHub(storage: postgres.url)
        let (edge1, edgePort1) = try await store.startEdge(store.till1, hubPorts: [port1, port2])
        let (edge2, edgePort2) = try await store.startEdge(store.till2, hubPorts: [port2, port1])
        let till1 = "http://127.0.0.1:\(edgePort1)"
        let till2 = "http://127.0.0.1:\(edgePort2)"
        for till in [till1, till2] {
            #expect(try await hubLink(of: till), "\(hub1.text)\n\(hub2.text)")
        }

        // Goods in at till 1 (on hub 1) reach till 2 (on hub 2), and the rights the bank hands out
        // come from one bank: both hub processes write as one replica.
        let (received, stock) = try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 20])
        #expect(received == 200, "\(stock)")
        #expect(
            try await eventually {
                let view = try await jsonRequest("GET", till2 + "/v1/stock/milk").1
                return view["level"] as? Int == 20 && (view["sellableHere"] as? Int ?? 0) > 0
            }, "till 2 never saw the goods through the other hub:\n\(hub1.text)\n\(hub2.text)")
        // Till 1 hands in beyond its share (through hub 1); hub 2's bank holds it then.
        #expect(
            try await eventually {
                (try await jsonRequest("GET", till1 + "/v1/stock/milk").1["sellableHere"] as? Int ?? 20) <= 8
            })
        // Till 2 sells more than it holds: hub 2 grants from the bank's reserve (once till 1's
        // hand-in has reached it through PostgreSQL; till 2 is told to try again until then).
        var sold = 0
        var refusal = ""
        #expect(
            try await eventually {
                let held = try await jsonRequest("GET", till2 + "/v1/stock/milk").1["sellableHere"] as? Int ?? 0
                let (status, sale) = try await jsonRequest("POST", till2 + "/v1/stock/milk/sales", ["units": held + 1])
                refusal = refusalMessage(sale)
                if status == 200 { sold = held + 1 }
                return status == 200
            }, "\(refusal)")

        // Each hub timed its part in PostgreSQL: hub 1 kept till 1's goods, hub 2 followed them
        // (read and applied, and how old they were then) and wrote the grant as its own change.
        let scrape1 = try await Exposition.scrape("http://127.0.0.1:\(port1)/metrics")
        let scrape2 = try await Exposition.scrape("http://127.0.0.1:\(port2)/metrics")
        for name in [
            "aisle_journal_keep_seconds", "aisle_journal_follow_seconds", "aisle_journal_follow_lag_seconds",
            "aisle_journal_own_write_seconds",
        ] {
            #expect(scrape1.types[name] == "histogram" && scrape2.types[name] == "histogram", "\(name)")
        }
        #expect(scrape1.sum("aisle_journal_keep_seconds_count") >= 1)
        for stage in ["read", "apply"] {
            #expect(scrape2.sum("aisle_journal_follow_seconds_count", ["stage": stage]) >= 1, "\(stage)")
        }
        #expect(scrape2.sum("aisle_journal_follow_lag_seconds_count") >= 1, "hub 2 timed no followed change's lag")
        #expect(scrape2.sum("aisle_journal_own_write_seconds_count", ["stage": "write"]) >= 1)

        // Load on till 1: cart lines, each acknowledged one recorded. Hub 1 dies in the middle.
        let acknowledged = Mutex<[String]>([])
        let load = Task {
            var index = 0
            while !Task.isCancelled {
                index += 1
                let cart = "load-\(index)"
                let status = try? await jsonRequest(
                    "POST", till1 + "/v1/carts/\(cart)/lines", ["sku": "milk", "quantity": 1]
                ).0
                if status == 200 { acknowledged.withLock { $0.append(cart) } }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // At least 10 acknowledged before the kill and 10 after it, however busy the machine.
        #expect(try await eventually { acknowledged.withLock { $0.count } >= 10 })
        hub1.stop(SIGKILL)
        let beforeKill = acknowledged.withLock { $0.count }
        #expect(try await eventually { acknowledged.withLock { $0.count } >= beforeKill + 10 })
        load.cancel()
        _ = await load.result
        let carts = acknowledged.withLock { $0 }
        #expect(carts.count >= beforeKill + 10, "the load made too few changes to mean anything")

        // Till 1 moved to hub 2; every acknowledged cart reaches till 2 through it.
        #expect(try await hubLink(of: till1))
        for cart in carts {
            #expect(
                try await eventually { try await holdsOneLine(cart, at: till2) },
                "cart \(cart), acknowledged by till 1, never reached till 2:\n\(hub2.text)")
        }

        // Hub 2 folded what both tills acknowledged into a checkpoint, and removed its envelopes.
        #expect(
            try await eventually {
                let scrape = try await Exposition.scrape("http://127.0.0.1:\(port2)/metrics")
                return scrape.sum("aisle_journal_compacted_envelopes_total") > 0
            }, "\(hub2.text)")

        // A new hub process rebuilds everything from PostgreSQL (the checkpoint, then the rest) and
        // serves a till that had been away: it receives the whole state.
        // It also removes the cache the killed hub left behind (or another test's hub did).
        let (hub3, port3) = try await store.world.startHub(storage: postgres.url)
        #expect(hub3.text.contains("rebuilt from"), "\(hub3.text)")
        let caches = try [hub1, hub2, hub3].map { hub in try #require(cacheDirectory(of: hub), "\(hub.text)") }
        #expect(!FileManager.default.fileExists(atPath: caches[0]), "\(hub3.text)")
        #expect(FileManager.default.fileExists(atPath: caches[1]) && FileManager.default.fileExists(atPath: caches[2]))
        edge2.stop(SIGTERM)
        let (edge2again, edgePort3) = try await store.startEdge(store.till2, hubPorts: [port3])
        let till2again = "http://127.0.0.1:\(edgePort3)"
        #expect(try await hubLink(of: till2again))
        #expect(
            try await eventually {
                try await jsonRequest("GET", till1 + "/v1/stock/milk").1["level"] as? Int == 20 - sold
            })
        // A till enrolled now, on hub 3 only, gets the compacted state (a snapshot) and the rest.
        let till3Directory = store.world.directory.file("till-3")
        _ = try store.world.run([
            "edge", "init", "--dir", till3Directory, "--tenant", "acme", "--device", "till-3", "--store", "berlin",
        ])
        _ = try store.world.run([
            "admin", "enroll", "--dir", store.world.hq, "--request", till3Directory + "/request.json",
        ])
        let (edge3, edgePort4) = try await store.startEdge(till3Directory, hubPorts: [port3])
        let till3 = "http://127.0.0.1:\(edgePort4)"
        #expect(
            try await eventually {
                try await jsonRequest("GET", till3 + "/v1/stock/milk").1["level"] as? Int == 20 - sold
            }, "\(hub3.text)\n\(edge3.text)")
        for cart in carts {
            #expect(
                try await eventually { try await holdsOneLine(cart, at: till3) },
                "cart \(cart) never reached the till enrolled after compaction")
        }

        // Any hub process lists every device, whichever hub it synced with (through PostgreSQL).
        let hub3URL = "ws://127.0.0.1:\(port3)/v1/sync"
        #expect(
            try await eventually {
                let json = try store.world.run(["admin", "status", "--hub", hub3URL, "--json"])
                return json.contains(#""till-1""#) && json.contains(#""till-2""#) && json.contains(#""pos""#)
            })
        let table = try store.world.run(["admin", "status", "--hub", hub3URL])
        #expect(table.contains("store berlin"), "\(table)")
        #expect(table.contains("till-1") && table.contains("till-2"), "\(table)")

        for server in [edge1, edge2again, edge3, hub2, hub3] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
        // Stopped, each hub removed its cache.
        #expect(!caches.contains { FileManager.default.fileExists(atPath: $0) })
    }

    /// Whether the till whose API is at `till` holds `cart` with its one line of quantity 1.
    func holdsOneLine(_ cart: String, at till: String) async throws -> Bool {
        let lines = try await jsonRequest("GET", till + "/v1/carts/\(cart)").1["lines"] as? [[String: Any]]
        return lines?.first?["quantity"] as? Int == 1
    }

    /// The cache directory a hub logged at start.
    func cacheDirectory(of hub: ServerProcess) -> String? {
        let line = hub.text.split(separator: "\n").first { $0.contains("cache kept in a directory of its own") }
        guard let line, let range = line.range(of: #"/[^ ]*aisle-hub-cache-[A-Za-z0-9]+"#, options: .regularExpression)
        else { return nil }
        return String(line[range])
    }

    @Test("a hub refuses a PostgreSQL database that a newer Aisle migrated, and says so, touching nothing")
    func newerSchemaIsRefused() async throws {
        let postgres = try PostgresServer()
        let world = try SyncWorld()
        defer { withExtendedLifetime((world, postgres)) {} }
        try postgres.execute(
            "CREATE TABLE aisle_schema (version integer NOT NULL); INSERT INTO aisle_schema VALUES (99)")
        let result = try AisleCommandTests.run([
            "hub", "serve", "--config", world.hub + "/hub.json", "--storage", postgres.url,
        ])
        #expect(result.status != 0)
        #expect(result.output.contains("schema version 99, newer than this build"), "\(result.output)")
        let bad = try AisleCommandTests.run([
            "hub", "serve", "--config", world.hub + "/hub.json", "--storage", "mysql://root@127.0.0.1/aisle",
        ])
        #expect(bad.status != 0)
        #expect(bad.output.contains("is not a PostgreSQL URL"), "\(bad.output)")
        let nobody = try AisleCommandTests.run([
            "hub", "serve", "--config", world.hub + "/hub.json", "--storage",
            "postgres://postgres@127.0.0.1:\(try freeLoopbackPort())/aisle?sslmode=disable",
        ])
        #expect(nobody.status != 0)
        #expect(nobody.output.contains("cannot use PostgreSQL at"), "\(nobody.output)")
    }
}

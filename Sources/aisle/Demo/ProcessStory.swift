import AisleTesting
import Foundation

/// The cart story with real processes on 127.0.0.1, in a temporary directory: a hub, the edges of
/// two stores (two tills in Berlin, one in Paris) and Anna's phone, priced with the sample catalog.
struct ProcessStory {
    let directory: URL
    /// The catalog head office publishes (data/catalog).
    let catalog: String
    private var step = 0

    /// A story that publishes `catalog`, in a new temporary directory.
    init(catalog: String) throws {
        self.catalog = catalog
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("aisle-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private mutating func say(_ text: String) {
        step += 1
        print("\n\(step). \(text)")
    }

    mutating func play() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        say("Head office creates the tenant and enrols a hub, three tills and Anna's phone (\(directory.path))")
        try enrol()

        let (hub, hubPort) = try await DemoProcesses.serve("hub", ["hub", "serve", "--config", path("hub/hub.json")])
        print("   hub listening on 127.0.0.1:\(hubPort)")
        let hubURL = "ws://127.0.0.1:\(hubPort)/v1/sync"
        let (berlin1, berlin1Port) = try await startEdge("till-berlin-1", hubURL: hubURL)
        let (berlin2, berlin2Port) = try await startEdge(
            "till-berlin-2", hubURL: hubURL, peers: ["ws://127.0.0.1:\(berlin1Port)/v1/sync"])
        let (paris, parisPort) = try await startEdge("till-paris-1", hubURL: hubURL)
        let till1 = "http://127.0.0.1:\(berlin1Port)"
        let till2 = "http://127.0.0.1:\(berlin2Port)"
        let tillParis = "http://127.0.0.1:\(parisPort)"
        print(
            "   edges: till-berlin-1 :\(berlin1Port), till-berlin-2 :\(berlin2Port) (peer of berlin-1), till-paris-1 :\(parisPort)"
        )
        for till in [till1, till2, tillParis] {
            try await DemoProcesses.waitUntil("\(till) reaches the hub") {
                try await jsonRequest("GET", till + "/health").1["hubConnected"] as? Bool == true
            }
        }

        say("Head office publishes the catalog (\(catalog)) to the hub; the tills get it at once")
        let published = try DemoProcesses.run([
            "admin", "catalog", "import", "--dir", path("hq"), "--from", catalog, "--hub", hubURL,
        ])
        print(indent(published))

        say("Anna fills a cart on her phone, offline, then syncs it (and gets the catalog's prices)")
        try DemoProcesses.run(["mobile", "cart", "add", "--dir", path("phone"), "oat-milk", "2"])
        try DemoProcesses.run(["mobile", "cart", "add", "--dir", path("phone"), "sourdough", "1"])
        print(indent(try DemoProcesses.run(["mobile", "sync", "--dir", path("phone"), "--hub", hubURL])))

        say("At the Berlin till, Anna shows her handoff code; the till takes the cart over")
        let printed = try DemoProcesses.run(["mobile", "handoff", "--dir", path("phone"), "--store", "berlin"])
        let code = printed.split(separator: "\n").last.map(String.init) ?? ""
        print("   code: \(code.prefix(48))… (\(code.count) characters)")
        let (status, taken) = try await jsonRequest("POST", till1 + "/v1/handoffs", ["code": code])
        guard status == 200 else { throw CommandFailure("the till refused the handoff: \(taken)") }
        let cart = try await priced(till1 + "/v1/carts/app-cart?customer=anna")
        print("   till-berlin-1 sees Anna's cart: \(describe(cart))")
        let (_, added) = try await jsonRequest(
            "POST", till1 + "/v1/carts/app-cart/lines?customer=anna", ["sku": "butter", "quantity": 1])
        print("   the cashier adds butter: \(describe(added))")

        say("Goods arrive in both stores")
        _ = try await jsonRequest("POST", till1 + "/v1/stock/oat-milk/receipts", ["units": 10])
        _ = try await jsonRequest("POST", till1 + "/v1/stock/sourdough/receipts", ["units": 6])
        _ = try await jsonRequest("POST", till1 + "/v1/stock/butter/receipts", ["units": 6])
        _ = try await jsonRequest("POST", tillParis + "/v1/stock/oat-milk/receipts", ["units": 4])
        try await waitForLevel(till2, 10)
        print("   Berlin: 10 oat-milk (seen by till-berlin-2 through the hub); Paris: 4")

        say("The hub dies (SIGKILL); both stores keep selling")
        hub.stop(SIGKILL)
        _ = try await jsonRequest("POST", till1 + "/v1/stock/oat-milk/receipts", ["units": 5])
        _ = try await jsonRequest("POST", tillParis + "/v1/stock/oat-milk/receipts", ["units": 3])
        _ = try await jsonRequest(
            "POST", till2 + "/v1/carts/walk-in-1/lines", ["sku": "oat-milk", "quantity": 1])
        print("   till-berlin-1 books 5 more oat-milk, till-paris-1 3 more, till-berlin-2 rings up a walk-in cart")
        try await waitForLevel(till2, 15)
        print("   till-berlin-2 sees 15 oat-milk through its peer till-berlin-1, with the hub down")

        say("The hub returns on its database; everyone reconnects and catches up")
        let (returned, _) = try await DemoProcesses.serve(
            "hub", ["hub", "serve", "--config", path("hub/hub.json"), "--port", "\(hubPort)"])
        for till in [till1, till2, tillParis] {
            try await DemoProcesses.waitUntil("\(till) reconnects") {
                try await jsonRequest("GET", till + "/health").1["hubConnected"] as? Bool == true
            }
        }
        let phone = try DemoProcesses.run(["mobile", "sync", "--dir", path("phone"), "--hub", hubURL])
        print(indent(phone))

        say("Final state")
        var levels: [String: Int] = [:]
        for (name, till) in [("till-berlin-1", till1), ("till-berlin-2", till2), ("till-paris-1", tillParis)] {
            let (_, stock) = try await jsonRequest("GET", till + "/v1/stock/oat-milk")
            levels[name] = stock["level"] as? Int ?? -1
            print("   \(name): oat-milk \(levels[name]!) in \(stock["store"] as? String ?? "?")")
        }
        let (_, annaAtTill) = try await jsonRequest("GET", till1 + "/v1/carts/app-cart?customer=anna")
        print("   Anna's cart at till-berlin-1: \(describe(annaAtTill))")
        let converged =
            phone.contains("butter  × 1") && phone.contains("oat-milk  × 2") && phone.contains("sourdough  × 1")
            && levels["till-berlin-1"] == 15 && levels["till-berlin-2"] == 15 && levels["till-paris-1"] == 7
        print(
            converged
                ? "\nconverged: the phone and the till hold the same cart; both Berlin tills the same stock"
                : "\nNOT converged: the phone's cart or the stock differ between replicas")

        say("Anna looks for oat-milk near the Louvre, Paris: the stores nearest first, with stock and hours")
        let api = "http://127.0.0.1:\(hubPort)/v1/availability?sku=oat-milk&near=48.8566,2.3522"
        try await DemoProcesses.waitUntil("the hub holds Paris's 7 and Berlin's 15 oat-milk") {
            let stores = try await jsonRequest("GET", api).1["stores"] as? [[String: Any]] ?? []
            let levels = stores.reduce(into: [String: Int]()) { $0[$1["id"] as? String ?? ""] = $1["quantity"] as? Int }
            return levels["paris"] == 7 && levels["berlin"] == 15
        }
        print(
            indent(try DemoProcesses.run(["mobile", "find", "oat-milk", "--near", "48.8566,2.3522", "--hub", hubURL])))

        try await sellAndCollect(berlin: till1, paris: tillParis, hubURL: hubURL)

        for server in [berlin1, berlin2, paris, returned] { server.stop(SIGTERM) }
        if !converged { throw CommandFailure("the demo did not converge") }
    }

    /// Checkout with stock and points in Berlin, the points redeemed in Paris, click and collect in Paris.
    private mutating func sellAndCollect(berlin: String, paris: String, hubURL: String) async throws {
        say("Anna pays at till-berlin-1: the stock is sold from the till's rights, her points are earned")
        let (status, order) = try await jsonRequest(
            "POST", berlin + "/v1/carts/app-cart/checkout?customer=anna", ["order": "order-anna-1"])
        guard status == 200 else { throw CommandFailure("checkout refused: \(refusalMessage(order))") }
        let points = order["points"] as? Int ?? 0
        print(
            "   order \(order["id"] as? String ?? "?"): \(money(Int64(order["totalMinor"] as? Int ?? 0))), \(points) points"
        )
        let (_, oatMilk) = try await jsonRequest("GET", berlin + "/v1/stock/oat-milk")
        print(
            "   Berlin oat-milk now \(oatMilk["level"] as? Int ?? -1), \(oatMilk["sellableHere"] as? Int ?? -1) sellable on till-berlin-1"
        )

        say("In Paris, Anna redeems \(points) points: till-paris-1 asks the hub, which banks them")
        var redemption: [String: Any] = [:]
        try await DemoProcesses.waitUntil("till-paris-1 obtains Anna's points from the hub") {
            let (status, body) = try await jsonRequest(
                "POST", paris + "/v1/loyalty/anna/redemptions", ["points": points])
            redemption = body
            return status == 200
        }
        print("   balance now \(redemption["balance"] as? Int ?? -1) points")
        let (refused, again) = try await jsonRequest("POST", paris + "/v1/loyalty/anna/redemptions", ["points": 1])
        print("   a second redemption is refused (\(refused)): \(refusalMessage(again))")

        say(
            "Click and collect: Anna reserves one oat-milk at Paris from her phone; the till picks it and hands it over"
        )
        let reserved = try DemoProcesses.run([
            "mobile", "reserve", "--dir", path("phone"), "oat-milk", "1", "--store", "paris", "--hub", hubURL,
        ])
        print(indent(reserved))
        print(indent(try DemoProcesses.run(["mobile", "reservations", "--dir", path("phone")])))
        let id = reserved.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("res-") }.map(String.init) ?? ""
        try await DemoProcesses.waitUntil("till-paris-1 sees the reservation") {
            let list = try await jsonRequest("GET", paris + "/v1/reservations").1["reservations"] as? [[String: Any]]
            return list?.contains { $0["id"] as? String == id } == true
        }
        for step in ["pick", "collect"] {
            let (status, body) = try await jsonRequest("POST", paris + "/v1/reservations/\(id)/\(step)", [:])
            guard status == 200 else { throw CommandFailure("\(step) refused: \(refusalMessage(body))") }
            print("   \(step): \(body["phase"] as? String ?? "?"), held by \(body["custodian"] as? String ?? "?")")
        }
        let (_, parisStock) = try await jsonRequest("GET", paris + "/v1/stock/oat-milk")
        print("   Paris oat-milk now \(parisStock["level"] as? Int ?? -1)")
    }

    private func enrol() throws {
        try DemoProcesses.run(["admin", "init", "--dir", path("hq"), "--tenant", "acme"])
        try DemoProcesses.run(["hub", "init", "--dir", path("hub"), "--tenant", "acme", "--device", "hub-1"])
        for (device, store) in [("till-berlin-1", "berlin"), ("till-berlin-2", "berlin"), ("till-paris-1", "paris")] {
            try DemoProcesses.run([
                "edge", "init", "--dir", path(device), "--tenant", "acme", "--device", device, "--store", store,
            ])
        }
        try DemoProcesses.run([
            "mobile", "init", "--dir", path("phone"), "--tenant", "acme", "--device", "phone-anna", "--customer",
            "anna",
        ])
        for device in ["hub", "till-berlin-1", "till-berlin-2", "till-paris-1", "phone"] {
            try DemoProcesses.run(["admin", "enroll", "--dir", path("hq"), "--request", path("\(device)/request.json")])
        }
        let hub = #"{"host": "127.0.0.1", "port": 0, "database": "hub.db", "identity": "."}"#
        try Data(hub.utf8).write(to: URL(fileURLWithPath: path("hub/hub.json")))
    }

    private func startEdge(_ device: String, hubURL: String, peers: [String] = []) async throws -> (ServerProcess, Int)
    {
        let peerList = peers.map { "\"\($0)\"" }.joined(separator: ", ")
        let config =
            #"{"hub": "\#(hubURL)", "host": "127.0.0.1", "port": 0, "database": "edge.db", "identity": ".", "peers": [\#(peerList)]}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: path("\(device)/edge.json")))
        return try await DemoProcesses.serve(device, ["edge", "serve", "--config", path("\(device)/edge.json")])
    }

    private func waitForLevel(_ till: String, _ level: Int) async throws {
        try await DemoProcesses.waitUntil("\(till) shows \(level) oat-milk") {
            try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["level"] as? Int == level
        }
    }

    /// The cart at `url` once the till prices every line (the catalog reaches it from the hub).
    private func priced(_ url: String) async throws -> [String: Any] {
        var cart: [String: Any] = [:]
        try await DemoProcesses.waitUntil("\(url) is priced with the catalog") {
            cart = try await jsonRequest("GET", url).1
            return cart["lines"] != nil && (cart["unpriced"] as? [String])?.isEmpty == true
        }
        return cart
    }

    private func describe(_ cart: [String: Any]) -> String {
        let lines = (cart["lines"] as? [[String: Any]] ?? []).map {
            "\($0["sku"] as? String ?? "?") × \($0["quantity"] as? Int ?? 0)"
        }
        let unpriced = cart["unpriced"] as? [String] ?? []
        let total = money(Int64(cart["totalMinor"] as? Int ?? 0))
        return lines.joined(separator: ", ") + "; total \(total)"
            + (unpriced.isEmpty ? "" : " (no price for \(unpriced.joined(separator: ", ")))")
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n")
    }
}

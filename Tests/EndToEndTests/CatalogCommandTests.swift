import AisleTesting
import Foundation
import Testing

/// `aisle admin catalog import` and `show` as real processes, on the sample catalog in data/.
@Suite("aisle admin catalog")
struct CatalogCommandTests {
    /// The sample catalog, found from this file.
    static var sample: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/catalog").path
    }

    /// A copy of the sample catalog in `directory` with `sku`'s price set to `price` cents.
    static func sample(in directory: String, pricing sku: String, at price: Int) throws -> String {
        let copy = directory + "/catalog-edited"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in ["products.csv", "promotions.csv", "stores.csv"] {
            var text = try String(contentsOfFile: sample + "/" + name, encoding: .utf8)
            if name == "products.csv" {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    guard line.hasPrefix(sku + ",") else { return String(line) }
                    return line.split(separator: ",").dropLast().joined(separator: ",") + ",\(price)"
                }.joined(separator: "\n")
            }
            try text.write(toFile: copy + "/" + name, atomically: true, encoding: .utf8)
        }
        return copy
    }

    @Test(
        "import publishes the sample catalog through a head-office device made on first use; again, nothing; show lists it"
    )
    func importAndShow() throws {
        let directory = try TemporaryDirectory(prefix: "catalog-e2e")
        let hq = directory.file("hq")
        _ = try AisleCommandTests.run(["admin", "init", "--dir", hq, "--tenant", "acme"])

        let first = try AisleCommandTests.run(["admin", "catalog", "import", "--dir", hq, "--from", Self.sample])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("read \(Self.sample): 300 products, 11 promotions, 6 stores"), "\(first.output)")
        #expect(first.output.contains("made head office's device hq"), "\(first.output)")
        #expect(first.output.contains("published 623 catalog objects as one change"), "\(first.output)")
        #expect(first.output.contains("products    300 added, 0 changed, 0 withdrawn, 0 unchanged"), "\(first.output)")
        #expect(first.output.contains("hours       6 added"), "\(first.output)")
        #expect(FileManager.default.fileExists(atPath: hq + "/hq/hq.db"))

        let again = try AisleCommandTests.run(["admin", "catalog", "import", "--dir", hq, "--from", Self.sample])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("the catalog already matches the files: nothing published"), "\(again.output)")
        #expect(!again.output.contains("made head office's device"), "the device is made once")

        let show = try AisleCommandTests.run(["admin", "catalog", "show", "--dir", hq])
        #expect(show.status == 0, "\(show.output)")
        #expect(show.output.contains("300 products, 11 promotions, 6 stores"), "\(show.output)")
        #expect(show.output.contains("Aisle Berlin Alexanderplatz  52.521918,13.413215  Mo-Sa 07:00-22:00; Su closed"))
        #expect(show.output.contains("oat-milk-20           20 % off oat-milk"), "\(show.output)")
        let oatMilk = show.output.split(separator: "\n").first { $0.hasPrefix("  oat-milk ") }
        #expect(oatMilk?.hasSuffix("dairy          1.99") == true, "\(String(describing: oatMilk))")
    }

    @Test("a bad file is refused with its file and line, and nothing is published")
    func badFileRefused() throws {
        let directory = try TemporaryDirectory(prefix: "catalog-e2e")
        let hq = directory.file("hq")
        _ = try AisleCommandTests.run(["admin", "init", "--dir", hq, "--tenant", "acme"])
        let edited = try Self.sample(in: directory.path, pricing: "butter", at: -5)
        let result = try AisleCommandTests.run(["admin", "catalog", "import", "--dir", hq, "--from", edited])
        #expect(result.status != 0)
        #expect(result.output.contains("the catalog was not published: 1 problem in the files"), "\(result.output)")
        #expect(result.output.contains(edited + "/products.csv line "), "\(result.output)")
        #expect(result.output.contains("price_minor -5 is negative"), "\(result.output)")
        let show = try AisleCommandTests.run(["admin", "catalog", "show", "--dir", hq])
        #expect(show.status != 0)
        #expect(show.output.contains("no catalog published from \(hq) yet"), "\(show.output)")
        let help = try AisleCommandTests.run(["admin", "catalog", "import", "--help"])
        #expect(help.output.contains("--keep-missing") && help.output.contains("withdrawn"), "\(help.output)")
    }

    @Test("with --hub the catalog reaches the hub, and a phone prices its cart with it; a price change follows")
    func priceChangeReachesPhone() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let (hub, port) = try await world.startHub()
        defer { hub.stop(SIGTERM) }
        let url = "ws://127.0.0.1:\(port)/v1/sync"
        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "oat-milk", "2"])

        let published = try world.run([
            "admin", "catalog", "import", "--dir", world.hq, "--from", Self.sample, "--hub", url,
        ])
        #expect(published.contains("connected to hub hub-1"), "\(published)")
        #expect(published.contains("the hub holds the catalog"), "\(published)")
        // 2 × 1.99 with 20 % off.
        let phone = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
        #expect(phone.contains("catalog: received 1 changes"), "\(phone)")
        #expect(phone.contains("oat-milk  × 2  3.18"), "\(phone)")

        let edited = try Self.sample(in: world.directory.path, pricing: "oat-milk", at: 219)
        let changed = try world.run(["admin", "catalog", "import", "--dir", world.hq, "--from", edited, "--hub", url])
        #expect(changed.contains("published 1 catalog objects as one change"), "\(changed)")
        #expect(changed.contains("prices      0 added, 1 changed, 0 withdrawn, 299 unchanged"), "\(changed)")
        #expect(changed.contains("set catalog/price/oat-milk"), "\(changed)")
        // 2 × 2.19 with 20 % off.
        let repriced = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
        #expect(repriced.contains("oat-milk  × 2  3.50"), "\(repriced)")
        let tablet = try world.run(["mobile", "sync", "--dir", world.tablet, "--hub", url])
        #expect(
            tablet.contains("catalog: received") || tablet.contains("catalog: restored"),
            "a phone that never synced gets the catalog too: \(tablet)")
        let shown = try world.run(["admin", "catalog", "show", "--db", world.tablet + "/phone.db"])
        #expect(shown.contains("Mo-Sa 08:30-21:30; Su 09:00-13:00"), "\(shown)")
    }
}

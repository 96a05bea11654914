import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Foundation
import Testing

@Suite("Publishing the catalog from head office")
struct CatalogPublishTests {
    /// Head office's node in a test tenant.
    static func headOffice(_ tenant: TestTenant) throws -> ReplicaNode {
        try tenant.node("hq", .hq, [.exactly(.catalog)], keys: [.catalog])
    }

    static func catalog(_ texts: [CatalogTable: String] = CatalogFiles.texts) throws -> CatalogPublication {
        try CatalogPublication(csv: texts)
    }

    @Test("the first import publishes everything as one change; importing the same files again writes nothing")
    func reimportWritesNothing() async throws {
        let tenant = try TestTenant()
        let hq = try Self.headOffice(tenant)
        let first = try await hq.publishCatalog(Self.catalog())
        #expect(first.counts[.product]?.added == 4)
        #expect(first.counts[.price]?.added == 4)
        #expect(first.counts[.promotion]?.added == 5)
        #expect(first.counts[.storeInfo]?.added == 3)
        #expect(first.counts[.storeHours]?.added == 2, "lyon has no hours")
        #expect(first.writes.count == 18)
        #expect(try hq.store.versionVector(of: .catalog) == VersionVector(["hq": 1]), "one change")

        let again = try await hq.publishCatalog(Self.catalog())
        #expect(again.isEmpty)
        #expect(again.counts[.product]?.unchanged == 4)
        #expect(try hq.store.versionVector(of: .catalog) == VersionVector(["hq": 1]), "nothing written")
        let catalog = try hq.store.catalog()
        #expect(catalog.prices["sourdough"] == 349)
        #expect(catalog.hours["paris"] == (try OpeningHours(parsing: "Mo-Sa 08:30-21:30; Su 09:00-13:00")))
    }

    @Test("one changed price writes one object, and the replica's catalog and products table show it")
    func oneChangedPrice() async throws {
        let tenant = try TestTenant()
        let hq = try Self.headOffice(tenant)
        try await hq.publishCatalog(Self.catalog())
        let products = CatalogFiles.products.replacingOccurrences(of: "dairy,189", with: "dairy,199")
        let changes = try await hq.publishCatalog(Self.catalog(CatalogFiles.with(.products, products)))
        #expect(changes.writes == [.price("oat-milk", 199)])
        #expect(changes.counts[.price] == CatalogChanges.Counts(changed: 1, unchanged: 3))
        #expect(try hq.store.versionVector(of: .catalog) == VersionVector(["hq": 2]))
        #expect(try hq.store.catalog().prices["oat-milk"] == 199)
    }

    @Test("a product no longer listed is withdrawn with its price; with keepMissing it stays")
    func withdrawal() async throws {
        let tenant = try TestTenant()
        let hq = try Self.headOffice(tenant)
        try await hq.publishCatalog(Self.catalog())
        let withoutCoffee = CatalogFiles.with(
            .products,
            CatalogFiles.products.split(separator: "\n").filter { !$0.hasPrefix("coffee-beans") }
                .joined(separator: "\n"))
        var texts = withoutCoffee
        texts[.promotions] = CatalogFiles.promotions.replacingOccurrences(
            of: "coffee-points,points_multiplier,coffee-beans,3,\n", with: "")
        texts[.stores] = CatalogFiles.stores.replacingOccurrences(of: "lyon,Aisle Lyon,45.757814,4.832011,\n", with: "")

        let kept = try await hq.publishCatalog(Self.catalog(texts), keepMissing: true)
        #expect(kept.isEmpty)
        #expect(kept.counts[.product]?.unchanged == 4)

        let changes = try await hq.publishCatalog(Self.catalog(texts))
        #expect(
            Set(changes.writes) == [
                .product("coffee-beans", nil), .price("coffee-beans", nil), .promotion("coffee-points", nil),
                .store("lyon", nil),
            ])
        #expect(changes.writes.allSatisfy { $0.isWithdrawal })
        #expect(changes.counts[.product]?.withdrawn == 1)
        let catalog = try hq.store.catalog()
        #expect(catalog.products["coffee-beans"] == nil && catalog.prices["coffee-beans"] == nil)
        #expect(catalog.promotions["coffee-points"] == nil)
        #expect(catalog.stores.keys == ["berlin", "paris"])
        #expect(try await hq.publishCatalog(Self.catalog(texts)).isEmpty, "a withdrawal is not repeated")
    }

    @Test("opening hours removed from a store are withdrawn; changed hours write only the hours object")
    func hoursChange() async throws {
        let tenant = try TestTenant()
        let hq = try Self.headOffice(tenant)
        try await hq.publishCatalog(Self.catalog())
        let stores = CatalogFiles.stores
            .replacingOccurrences(of: "Mo-Sa 07:00-22:00; Su closed", with: "Mo-Sa 07:00-20:00; Su closed")
            .replacingOccurrences(of: #","Mo-Sa 08:30-21:30; Su 09:00-13:00""#, with: ",")
        let changes = try await hq.publishCatalog(Self.catalog(CatalogFiles.with(.stores, stores)))
        #expect(
            changes.writes == [
                .hours("berlin", try OpeningHours(parsing: "Mo-Sa 07:00-20:00")), .hours("paris", nil),
            ])
    }

    @Test("only head office publishes: a till's node is refused before anything is written")
    func onlyHeadOffice() async throws {
        let tenant = try TestTenant()
        let till = try tenant.node("till-1", .pos, [.exactly(.catalog), .exactly(.store("berlin"))], keys: [.catalog])
        let error = await #expect(throws: CatalogPublishError.self) { try await till.publishCatalog(Self.catalog()) }
        #expect(error == CatalogPublishError.notHeadOffice(role: "pos", device: "till-1"))
        #expect(error?.description.contains("only head office (role hq) publishes the catalog") == true)
        let ungranted = try tenant.node("hq-2", .hq, [.exactly(.store("berlin"))], keys: [])
        await #expect(throws: CatalogPublishError.noCatalogGrant(device: "hq-2")) {
            try await ungranted.publishCatalog(Self.catalog())
        }
        #expect(try till.store.versionVector(of: .catalog) == VersionVector())
    }

    @Test("a change too large for one sync frame is refused with what to do, and nothing is written")
    func tooLarge() async throws {
        let tenant = try TestTenant()
        let hq = try Self.headOffice(tenant)
        var products: [SKU: PublishedProduct] = [:]
        let name = String(repeating: "n", count: 120)
        for index in 0..<8_000 {
            products[try SKU("sku-\(index)")] = PublishedProduct(Product(name: name, category: "bulk"), price: 100)
        }
        let huge = CatalogPublication(products: products, promotions: [:], stores: [:])
        let error = await #expect(throws: CatalogPublishError.self) { try await hq.publishCatalog(huge) }
        #expect(error?.description.contains("import it in parts") == true)
        #expect(try hq.store.versionVector(of: .catalog) == VersionVector())
    }

    @Test("a published price change reaches a till through the hub, and the till prices a cart with it")
    func priceReachesTill() async throws {
        let tenant = try TestTenant()
        let hq = try Self.headOffice(tenant)
        let hub = try tenant.node("hub", .hub, [.exactly(.catalog), .allStores], keys: [.catalog])
        let till = try tenant.node("till-1", .pos, [.exactly(.catalog), .exactly(.store("berlin"))], keys: [.catalog])
        let scopes: @Sendable (Certificate) -> [Scope] = { _ in [.catalog] }
        try await hq.publishCatalog(Self.catalog())
        try await MemoryLink(hq, hub, scopes: scopes).connect()
        try await MemoryLink(till, hub, scopes: scopes).connect()
        try await till.store.updateCart("walk-in", in: .store("berlin")) { cart, me, _ in
            try cart.add("oat-milk", quantity: 2, at: me)
        }
        // 2 × 1.89 with 20 % off.
        #expect(try till.store.cart("walk-in", in: .store("berlin"))?.totals.total == 302)

        let products = CatalogFiles.products.replacingOccurrences(of: "dairy,189", with: "dairy,209")
        try await hq.publishCatalog(Self.catalog(CatalogFiles.with(.products, products)))
        try await MemoryLink(hq, hub, scopes: scopes).connect()
        try await MemoryLink(till, hub, scopes: scopes).connect()
        #expect(try till.store.catalog().prices["oat-milk"] == 209)
        #expect(try till.store.cart("walk-in", in: .store("berlin"))?.totals.total == 334)
        #expect(try till.store.catalog().hours["berlin"] == (try hq.store.catalog().hours["berlin"]))
    }
}

import AisleCore
import Testing

@Suite("Nearest store with stock")
struct StockAvailabilityTests {
    /// Near the Louvre, Paris.
    static let paris = try! GeoPoint(parsing: "48.8566,2.3522")

    /// The sample catalog's stores (data/catalog/stores.csv) and one product, oat-milk.
    static func catalog() throws -> Catalog {
        var catalog = Catalog()
        var tick: UInt64 = 0
        func stamp() -> HLCTimestamp {
            tick += 1
            return HLCTimestamp(physical: tick, counter: 0, replica: "hq")
        }
        catalog.setProduct("oat-milk", Product(name: "Oat drink 1 l", category: "dairy"), at: stamp())
        let stores: [(StoreID, String, String, String?)] = [
            ("berlin", "Aisle Berlin Alexanderplatz", "52.521918,13.413215", "Mo-Sa 07:00-22:00; Su closed"),
            ("hamburg", "Aisle Hamburg Jungfernstieg", "53.553406,9.992196", "Mo-Sa 07:00-21:00; Su closed"),
            ("munich", "Aisle München Marienplatz", "48.137154,11.576124", nil),
            ("paris", "Aisle Paris Rivoli", "48.857487,2.3514", "Mo-Sa 08:30-21:30; Su 09:00-13:00"),
            ("lyon", "Aisle Lyon Bellecour", "45.757814,4.832011", "Mo-Fr 08:00-12:30,14:00-20:00; Sa 08:00-20:00"),
            ("amsterdam", "Aisle Amsterdam Dam", "52.373169,4.892448", "Mo-Sa 08:00-22:00; Su 10:00-20:00"),
        ]
        for (id, name, location, hours) in stores {
            let point = try GeoPoint(parsing: location)
            catalog.setStore(
                id,
                StoreInfo(
                    name: name, latitudeMicrodegrees: point.latitudeMicrodegrees,
                    longitudeMicrodegrees: point.longitudeMicrodegrees), at: stamp())
            if let hours { catalog.setHours(id, try OpeningHours(parsing: hours), at: stamp()) }
        }
        return catalog
    }

    @Test("stores come nearest first, each with its quantity; a store out of stock is listed and marked")
    func nearestFirst() throws {
        let availability = try StockAvailability(
            sku: "oat-milk", near: Self.paris, catalog: Self.catalog(), quantities: ["berlin": 12, "lyon": 0])
        #expect(availability.product.name == "Oat drink 1 l")
        #expect(availability.stores.map(\.id) == ["paris", "lyon", "amsterdam", "munich", "hamburg", "berlin"])
        #expect(availability.stores.map(\.quantity) == [0, 0, 0, 0, 0, 12])
        #expect(availability.stores.map(\.inStock) == [false, false, false, false, false, true])
        #expect(zip(availability.stores, availability.stores.dropFirst()).allSatisfy { $0.distance <= $1.distance })
        #expect(abs(availability.stores[0].distance - 114.7) < 1, "\(availability.stores[0].distance)")
        #expect(abs(availability.stores[5].distance - 878_059.4) < 1, "\(availability.stores[5].distance)")
        #expect(availability.nearestInStock?.id == "berlin")
        #expect(availability.stores[0].hours?.description == "Mo-Sa 08:30-21:30; Su 09:00-13:00")
        #expect(availability.stores[3].hours == nil, "Munich published no hours")
    }

    @Test("only stores with stock, when asked; none when no store holds the SKU")
    func inStockOnly() throws {
        let catalog = try Self.catalog()
        let some = try StockAvailability(
            sku: "oat-milk", near: Self.paris, catalog: catalog, quantities: ["berlin": 12, "munich": 3, "paris": 0],
            inStockOnly: true)
        #expect(some.stores.map(\.id) == ["munich", "berlin"])
        let none = try StockAvailability(
            sku: "oat-milk", near: Self.paris, catalog: catalog, quantities: [:], inStockOnly: true)
        #expect(none.stores.isEmpty)
        #expect(none.nearestInStock == nil)
    }

    @Test("a SKU the catalog does not hold is refused with a sentence; so is a withdrawn product")
    func unknownSKU() throws {
        var catalog = try Self.catalog()
        #expect(throws: StockAvailabilityError.unknownSKU("oat-mlk")) {
            try StockAvailability(sku: "oat-mlk", near: Self.paris, catalog: catalog, quantities: [:])
        }
        #expect(
            StockAvailabilityError.unknownSKU("oat-mlk").description
                == "SKU 'oat-mlk' is not in the catalog, so no store sells it: check the spelling")
        catalog.setProduct("oat-milk", nil, at: HLCTimestamp(physical: 1_000, counter: 0, replica: "hq"))
        #expect(throws: StockAvailabilityError.unknownSKU("oat-milk")) {
            try StockAvailability(sku: "oat-milk", near: Self.paris, catalog: catalog, quantities: ["berlin": 1])
        }
    }

    @Test("a closed store is not listed; equal distances are ordered by store id; stock below zero reads as none")
    func withdrawnStoresAndTies() throws {
        var catalog = try Self.catalog()
        catalog.setStore("paris", nil, at: HLCTimestamp(physical: 1_000, counter: 0, replica: "hq"))
        let twin = StoreInfo(
            name: "Aisle Berlin Twin", latitudeMicrodegrees: 52_521_918, longitudeMicrodegrees: 13_413_215)
        catalog.setStore("berlin-2", twin, at: HLCTimestamp(physical: 1_001, counter: 0, replica: "hq"))
        let availability = try StockAvailability(
            sku: "oat-milk", near: try GeoPoint(parsing: "52.52,13.41"), catalog: catalog,
            quantities: ["berlin-2": -3])
        #expect(!availability.stores.contains { $0.id == "paris" })
        #expect(availability.stores.prefix(2).map(\.id) == ["berlin", "berlin-2"])
        #expect(availability.stores[1].quantity == 0)
    }

    @Test("open now is read at the caller's local time in each store's hours; unknown without hours")
    func openNow() throws {
        let availability = try StockAvailability(
            sku: "oat-milk", near: Self.paris, catalog: Self.catalog(), quantities: [:])
        let stores = Dictionary(uniqueKeysWithValues: availability.stores.map { ($0.id, $0) })
        // Sunday 2025-06-08, 11:00: Paris and Amsterdam open, Berlin closed, Munich unknown.
        let sunday = try LocalTime(parsing: "2025-06-08T11:00")
        #expect(stores["paris"]?.isOpen(at: sunday) == true)
        #expect(stores["amsterdam"]?.isOpen(at: sunday) == true)
        #expect(stores["berlin"]?.isOpen(at: sunday) == false)
        #expect(stores["munich"]?.isOpen(at: sunday) == nil)
        // Tuesday 13:00: Lyon's lunch break.
        #expect(stores["lyon"]?.isOpen(at: try LocalTime(parsing: "2025-06-03T13:00")) == false)
    }
}

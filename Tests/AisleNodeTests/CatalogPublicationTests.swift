import AisleCore
import AisleNode
import AisleTesting
import Foundation
import Testing

@Suite("Catalog files: reading and checking")
struct CatalogPublicationTests {
    @Test("a good catalog reads to products with prices, every kind of promotion, and stores with hours")
    func readsGoodFiles() throws {
        let catalog = try CatalogPublication(csv: CatalogFiles.texts)
        #expect(catalog.products.count == 4)
        #expect(
            catalog.products["sourdough"]
                == PublishedProduct(Product(name: "Sourdough, wheat 500 g", category: "bakery"), price: 349))
        #expect(catalog.products["coffee-beans"]?.product.name == #"Espresso "Forte" 1 kg"#)
        #expect(catalog.promotions["oat-20"] == .percentOff("oat-milk", basisPoints: 2000))
        #expect(catalog.promotions["bread-50c"] == .amountOff("sourdough", minorUnits: 50))
        #expect(catalog.promotions["milk-3for2"] == .buyXGetY("milk", buy: 2, free: 1))
        #expect(catalog.promotions["double-points"] == .pointsMultiplier(nil, multiplier: 2))
        #expect(catalog.promotions["coffee-points"] == .pointsMultiplier("coffee-beans", multiplier: 3))
        let paris = try #require(catalog.stores["paris"])
        #expect(
            paris.info
                == StoreInfo(name: "Aisle Paris", latitudeMicrodegrees: 48_857_487, longitudeMicrodegrees: 2_351_400))
        #expect(paris.hours == (try OpeningHours(parsing: "Mo-Sa 08:30-21:30; Su 09:00-13:00")))
        #expect(catalog.stores["lyon"]?.hours == nil, "an empty hours field publishes no hours")
    }

    @Test(
        "each kind of bad row is refused with a typed problem naming the file and line",
        arguments: [
            (CatalogTable.products, "tea,Tea,drinks,-5", CatalogProblem.Reason.negativePrice),
            (.products, "tea,Tea,drinks,1.19", .invalidValue),
            (.products, "tea,Tea,drinks,", .invalidValue),
            (.products, "tea,,drinks,119", .invalidValue),
            (.products, "green tea,Tea,drinks,119", .invalidID),
            (.products, "oat-milk,Oat drink again,dairy,189", .duplicateID),
            (.products, "tea,Tea, 20 bags,drinks,119", .wrongFieldCount),
            (.promotions, "x,percent_off,ghost,1000,", .unknownSKU),
            (.promotions, "x,bogof,milk,1,1", .badPromotion),
            (.promotions, "x,percent_off,milk,20000,", .badPromotion),
            (.promotions, "x,buy_x_get_y,milk,2,", .invalidValue),
            (.promotions, "x,percent_off,milk,1000,1", .invalidValue),
            (.promotions, "x,amount_off,,10,", .invalidValue),
            (.promotions, "oat-20,amount_off,milk,10,", .duplicateID),
            (.stores, "hamburg,Hamburg,95.1,9.99,", .badCoordinates),
            (.stores, "hamburg,Hamburg,53.5534061,9.99,", .badCoordinates),
            (.stores, "hamburg,Hamburg,north,9.99,", .badCoordinates),
            (.stores, #"hamburg,Hamburg,53.55,9.99,"Mo-Fr 08:00-20:00; Fr 09:00-12:00""#, .badHours),
            (.stores, #"hamburg,Hamburg,53.55,9.99,"Mo-Fr 22:00-02:00""#, .badHours),
            (.stores, "berlin,Berlin again,52.5,13.4,", .duplicateID),
            (.stores, #"hamburg,Hamburg,53.55,9.99,"Mo 08:00-20:00"x"#, .malformedFile),
            (.stores, #"hamburg,"Hamburg,53.55,9.99,"#, .malformedFile),
        ])
    func badRow(table: CatalogTable, row: String, reason: CatalogProblem.Reason) throws {
        let good = CatalogFiles.texts[table]!
        let lines = good.split(separator: "\n").count
        let error = #expect(throws: CatalogImportError.self) {
            try CatalogPublication(csv: CatalogFiles.with(table, good + row + "\n"), directory: "cat")
        }
        let problem = try #require(error?.problems.first)
        #expect(error?.problems.count == 1, "\(error!)")
        #expect(problem.reason == reason, "\(problem)")
        #expect(problem.location == CatalogSourceLocation(file: "cat/\(table.fileName)", line: lines + 1), "\(problem)")
        #expect(error!.description.contains("cat/\(table.fileName) line \(lines + 1): "), "\(error!)")
    }

    @Test("every problem of an import is listed at once, in file and line order, and nothing is read")
    func allProblemsListed() {
        let products = CatalogFiles.products + "tea,Tea,,-1\nbad sku,Thing,,1\n"
        let stores = CatalogFiles.stores + "x,X,1,2,Mo 25:00-26:00\n"
        var texts = CatalogFiles.with(.products, products)
        texts[.stores] = stores
        let error = #expect(throws: CatalogImportError.self) { try CatalogPublication(csv: texts) }
        #expect(error?.problems.map(\.reason) == [.negativePrice, .invalidID, .badHours])
        #expect(error?.problems.map(\.location.line) == [6, 7, 5])
        #expect(error?.description.hasPrefix("the catalog was not published: 3 problems in the files") == true)
    }

    @Test("a header that lacks, repeats or adds a column is refused, naming the columns expected")
    func badHeaders() {
        for header in [
            "sku,name,price_minor", "sku,name,category,price_minor,colour", "sku,name,name,category,price_minor",
        ] {
            let error = #expect(throws: CatalogImportError.self) {
                try CatalogPublication(csv: CatalogFiles.with(.products, header + "\nmilk,Milk,dairy,119\n"))
            }
            #expect(error?.problems.first?.reason == .badHeader, "\(header)")
            #expect(error?.problems.first?.location.line == 1)
            #expect(
                error?.description.contains("sku,name,category,price_minor") == true || header.contains("name,name"))
        }
        let empty = #expect(throws: CatalogImportError.self) {
            try CatalogPublication(csv: CatalogFiles.with(.stores, ""))
        }
        #expect(empty?.problems.first?.reason == .badHeader)
        #expect(empty?.description.contains("id,name,latitude,longitude,hours") == true)
    }

    @Test("CSV as spreadsheets write it: a byte-order mark, CRLF, a quoted line break, headers in any order")
    func spreadsheetCSV() throws {
        let products =
            "\u{FEFF}price_minor,sku,name,category\r\n119,milk,\"Whole milk\r\n1 l\",dairy\r\n\r\n99,bread,Bread,\r\n"
        var texts = CatalogFiles.with(.products, products)
        texts[.promotions] = "id,kind,sku,value,free\n"
        let catalog = try CatalogPublication(csv: texts)
        #expect(
            catalog.products["milk"]
                == PublishedProduct(Product(name: "Whole milk\r\n1 l", category: "dairy"), price: 119))
        #expect(catalog.products["bread"]?.product.category == "")
        #expect(catalog.promotions.isEmpty)
        // The record after a quoted line break is numbered by the line it starts on.
        let broken = #expect(throws: CatalogImportError.self) {
            try CatalogPublication(csv: CatalogFiles.with(.products, products + "-1,tea,Tea,\r\n"))
        }
        #expect(broken?.problems.first?.location.line == 6)
    }

    @Test("the JSON form reads to the same catalog; a bad entry is named by its list and index")
    func json() throws {
        let text = """
            {"products": [{"sku": "oat-milk", "name": "Oat drink 1 l", "category": "dairy", "price_minor": 189},
                          {"sku": "milk", "name": "Milk", "price_minor": 119}],
             "promotions": [{"id": "p", "kind": "points_multiplier", "value": 2}],
             "stores": [{"id": "paris", "name": "Paris", "latitude": 48.857487, "longitude": 2.3514,
                         "hours": "Mo-Sa 08:30-21:30"}]}
            """
        let catalog = try CatalogPublication(json: text)
        #expect(catalog.products["milk"]?.price == 119)
        #expect(catalog.promotions["p"] == .pointsMultiplier(nil, multiplier: 2))
        #expect(catalog.stores["paris"]?.info.longitudeMicrodegrees == 2_351_400)

        let negative = text.replacingOccurrences(of: "119", with: "-119")
        let error = #expect(throws: CatalogImportError.self) { try CatalogPublication(json: negative) }
        #expect(error?.problems.first?.reason == .negativePrice)
        #expect(error?.problems.first?.location == CatalogSourceLocation(file: "catalog.json", entry: "products[1]"))

        for (bad, reason) in [
            ("{\"products\": [", CatalogProblem.Reason.malformedFile),
            (#"{"products": [], "stores": []}"#, .malformedFile),
            (
                #"{"products": [{"sku": "a", "name": "A", "price_minor": true}], "promotions": [], "stores": []}"#,
                .invalidValue
            ),
            (#"{"products": [{"sku": "a", "name": "A"}], "promotions": [], "stores": []}"#, .badHeader),
            (#"{"products": {}, "promotions": [], "stores": []}"#, .malformedFile),
        ] {
            let refused = #expect(throws: CatalogImportError.self) { try CatalogPublication(json: bad) }
            #expect(refused?.problems.first?.reason == reason, "\(bad): \(String(describing: refused))")
        }
    }

    @Test("a missing directory, a missing file, or a path that is neither is refused, saying what to give")
    func paths() throws {
        let directory = try TemporaryDirectory(prefix: "catalog")
        let nowhere = #expect(throws: CatalogImportError.self) {
            try CatalogPublication(contentsOf: directory.file("none"))
        }
        #expect(nowhere?.problems.first?.reason == .missingFile)
        try CatalogFiles.products.write(toFile: directory.file("products.csv"), atomically: true, encoding: .utf8)
        try CatalogFiles.stores.write(toFile: directory.file("stores.csv"), atomically: true, encoding: .utf8)
        let missing = #expect(throws: CatalogImportError.self) { try CatalogPublication(contentsOf: directory.path) }
        #expect(missing?.problems.map(\.location.file) == [directory.file("promotions.csv")])
        #expect(missing?.description.contains("holds products.csv, promotions.csv and stores.csv") == true)
        let neither = #expect(throws: CatalogImportError.self) {
            try CatalogPublication(contentsOf: directory.file("products.csv"))
        }
        #expect(neither?.problems.first?.reason == .unreadableFile)
        try Data([0x73, 0x6B, 0x75, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: directory.file("promotions.csv")))
        let garbled = #expect(throws: CatalogImportError.self) { try CatalogPublication(contentsOf: directory.path) }
        #expect(garbled?.description.contains("is not UTF-8 text") == true)
    }

    @Test(
        "the sample catalog in data/ reads: 300 products in 12 categories, every kind of promotion, stores with hours")
    func sampleCatalog() throws {
        let catalog = try CatalogPublication(contentsOf: CatalogFiles.sample)
        #expect(catalog.products.count == 300)
        #expect(Set(catalog.products.values.map(\.product.category)).count == 12)
        #expect(catalog.products.values.allSatisfy { $0.price > 0 })
        #expect(catalog.promotions.count >= 10)
        let kinds = Set(
            catalog.promotions.values.map { promotion -> String in
                switch promotion {
                case .percentOff: "percent"
                case .amountOff: "amount"
                case .buyXGetY: "buy"
                case .pointsMultiplier: "points"
                }
            })
        #expect(kinds.count == 4)
        #expect(catalog.stores.count == 6)
        #expect(catalog.stores.values.allSatisfy { $0.hours != nil })
        #expect(catalog.stores.values.contains { $0.hours?.intervals(on: .sunday).isEmpty == true })
        #expect(catalog.stores["berlin"] != nil && catalog.stores["paris"] != nil)
        // The SKUs the demo and the tests put in carts have a price.
        for sku: SKU in [
            "milk", "milk-1l", "oat-milk", "sourdough", "bread", "bread-sourdough", "butter", "eggs",
            "coffee-beans", "coffee-beans-500g",
        ] {
            #expect(catalog.products[sku] != nil, "\(sku)")
        }
        let json = try CatalogPublication(
            contentsOf: CatalogFiles.repository.appendingPathComponent("data/catalog.json").path)
        #expect(json == catalog, "data/catalog.json and data/catalog/ hold the same catalog")
    }
}

public import AisleCore

/// A product as published: its description and its unit price in minor units (cents).
public struct PublishedProduct: Hashable, Sendable {
    public let product: Product
    public let price: Int64

    public init(_ product: Product, price: Int64) {
        self.product = product
        self.price = price
    }
}

/// A store as published: its name and location, and its opening hours if given.
public struct PublishedStore: Hashable, Sendable {
    public let info: StoreInfo
    public let hours: OpeningHours?

    public init(_ info: StoreInfo, hours: OpeningHours?) {
        self.info = info
        self.hours = hours
    }
}

/// The catalog head office publishes, read and checked from files: products with their prices,
/// promotions, and stores with their locations and opening hours (docs/catalog.md has the formats).
///
/// Reading never publishes: ``ReplicaNode/publishCatalog(_:keepMissing:)`` compares it with the
/// replica's catalog and writes the difference as one change.
public struct CatalogPublication: Equatable, Sendable {
    public internal(set) var products: [SKU: PublishedProduct] = [:]
    public internal(set) var promotions: [PromotionID: Promotion] = [:]
    public internal(set) var stores: [StoreID: PublishedStore] = [:]

    /// A publication from values already checked (tests, and tools that build catalogs in code).
    public init(
        products: [SKU: PublishedProduct], promotions: [PromotionID: Promotion], stores: [StoreID: PublishedStore]
    ) {
        self.products = products
        self.promotions = promotions
        self.stores = stores
    }

    /// Reads and checks the catalog at `path`: a directory holding `products.csv`,
    /// `promotions.csv` and `stores.csv`, or one `.json` file `{"products": […], "promotions":
    /// […], "stores": […]}` with the same fields.
    ///
    /// - Throws: ``CatalogImportError`` listing every problem found, each naming its file, line
    ///   (or JSON entry) and what to write instead.
    public init(contentsOf path: String) throws(CatalogImportError) {
        try self.init(CatalogSource.read(path))
    }

    /// Reads and checks a catalog given as the CSV text of each table; `directory` names the files
    /// in problems.
    public init(csv texts: [CatalogTable: String], directory: String = ".") throws(CatalogImportError) {
        var reading: CatalogSource.Reading = ([:], [])
        for table in CatalogTable.allCases {
            let file = directory == "." ? table.fileName : directory + "/" + table.fileName
            guard let text = texts[table] else {
                reading.problems.append(
                    CatalogProblem(.missingFile, at: CatalogSourceLocation(file: file), "was not given"))
                continue
            }
            CatalogSource.csv(text, file: file, table: table, into: &reading)
        }
        try self.init(reading)
    }

    /// Reads and checks a catalog given as JSON text; `file` names it in problems.
    public init(json text: String, file: String = "catalog.json") throws(CatalogImportError) {
        try self.init(CatalogSource.json(text, file: file))
    }

    private init(_ reading: CatalogSource.Reading) throws(CatalogImportError) {
        var checker = CatalogChecker()
        checker.problems = reading.problems
        let productRecords = reading.records[.products]
        for record in productRecords ?? [] {
            if let (sku, product) = checker.product(record) { products[sku] = product }
        }
        // Without a readable product table every promotion's SKU would look unknown: say it once.
        let listed = productRecords.map { records in Set(records.compactMap { try? SKU($0["sku"]) }) }
        for record in reading.records[.promotions] ?? [] {
            if let (id, promotion) = checker.promotion(record, products: listed) { promotions[id] = promotion }
        }
        for record in reading.records[.stores] ?? [] {
            if let (id, store) = checker.store(record) { stores[id] = store }
        }
        guard checker.problems.isEmpty else { throw CatalogImportError(checker.problems) }
    }
}

import AisleCore

/// Turns catalog records into checked values, collecting a problem for every field at fault so
/// that one import reports them all.
struct CatalogChecker {
    var problems: [CatalogProblem] = []
    /// Where each id was first seen, per table, to name both places of a duplicate.
    private var seen: [CatalogTable: [String: CatalogSourceLocation]] = [:]

    mutating func product(_ record: CatalogRecord) -> (SKU, PublishedProduct)? {
        let sku = identifier(SKU.self, record, "sku", table: .products)
        let name = required(record, "name")
        var price = integer(record, "price_minor", "the price in cents, such as 129 for 1.29")
        if let minor = price, minor < 0 {
            report(
                .negativePrice, record, "price_minor \(minor) is negative: prices are minor units (cents), 0 or more")
            price = nil
        }
        guard let sku, let name, let price else { return nil }
        return (sku, PublishedProduct(Product(name: name, category: record["category"]), price: price))
    }

    /// A promotion; `products` are the SKUs the products table lists (nil when it was unreadable).
    mutating func promotion(_ record: CatalogRecord, products: Set<SKU>?) -> (PromotionID, Promotion)? {
        let id = identifier(PromotionID.self, record, "id", table: .promotions)
        let kinds = ["percent_off", "amount_off", "buy_x_get_y", "points_multiplier"]
        let kind = record["kind"]
        guard kinds.contains(kind) else {
            report(.badPromotion, record, "kind '\(kind)' is not one of \(kinds.joined(separator: ", "))")
            return nil
        }
        var sku: SKU?
        if record["sku"].isEmpty {
            guard kind == "points_multiplier" else {
                report(.invalidValue, record, "sku is empty: a \(kind) promotion names the SKU it applies to")
                return nil
            }
        } else {
            guard let named = identifier(SKU.self, record, "sku", table: nil) else { return nil }
            if let products, !products.contains(named) {
                report(
                    .unknownSKU, record,
                    "promotion names SKU '\(named)', which the products do not list: add the product or correct the SKU"
                )
                return nil
            }
            sku = named
        }
        let meaning = [
            "percent_off": "basis points, such as 2500 for 25 %", "amount_off": "minor units (cents) off each unit",
            "buy_x_get_y": "the units to buy", "points_multiplier": "the points multiplier, such as 2",
        ]
        let value = integer(record, "value", meaning[kind]!)
        var free: Int64?
        if kind == "buy_x_get_y" {
            free = integer(record, "free", "the units free for every `value` bought")
        } else if !record["free"].isEmpty {
            report(
                .invalidValue, record,
                "free is '\(record["free"])': only buy_x_get_y promotions take it, leave it empty")
            return nil
        }
        guard let id, let value else { return nil }
        let promotion: Promotion
        switch (kind, sku) {
        case ("percent_off", let sku?): promotion = .percentOff(sku, basisPoints: value)
        case ("amount_off", let sku?): promotion = .amountOff(sku, minorUnits: value)
        case ("buy_x_get_y", let sku?):
            guard let free else { return nil }
            promotion = .buyXGetY(sku, buy: value, free: free)
        default: promotion = .pointsMultiplier(sku, multiplier: value)
        }
        do { try promotion.validate(id) } catch {
            report(.badPromotion, record, "\(error)")
            return nil
        }
        return (id, promotion)
    }

    mutating func store(_ record: CatalogRecord) -> (StoreID, PublishedStore)? {
        let id = identifier(StoreID.self, record, "id", table: .stores)
        let name = required(record, "name")
        var location: GeoPoint?
        do { location = try GeoPoint(latitude: record["latitude"], longitude: record["longitude"]) } catch {
            report(.badCoordinates, record, "\(error)")
        }
        var hours: OpeningHours?
        var hoursValid = true
        if !record["hours"].isEmpty {
            do { hours = try OpeningHours(parsing: record["hours"]) } catch {
                report(.badHours, record, "hours '\(record["hours"])': \(error)")
                hoursValid = false
            }
        }
        guard let id, let name, let location, hoursValid else { return nil }
        let info = StoreInfo(
            name: name, latitudeMicrodegrees: location.latitudeMicrodegrees,
            longitudeMicrodegrees: location.longitudeMicrodegrees)
        return (id, PublishedStore(info, hours: hours))
    }

    /// The identifier in `column`; with a `table`, also checks it is the first entry with that id.
    private mutating func identifier<Kind>(
        _: Identifier<Kind>.Type, _ record: CatalogRecord, _ column: String, table: CatalogTable?
    ) -> Identifier<Kind>? {
        let id: Identifier<Kind>
        do { id = try Identifier<Kind>(record[column]) } catch {
            report(.invalidID, record, "\(column): \(error)")
            return nil
        }
        guard let table else { return id }
        if let first = seen[table]?[id.rawValue] {
            report(.duplicateID, record, "\(Kind.noun) '\(id)' is listed twice (first at \(first)): list each once")
            return nil
        }
        seen[table, default: [:]][id.rawValue] = record.location
        return id
    }

    private mutating func required(_ record: CatalogRecord, _ column: String) -> String? {
        guard !record[column].isEmpty else {
            report(.invalidValue, record, "\(column) is empty: give it")
            return nil
        }
        return record[column]
    }

    /// The whole number in `column`; `meaning` says what it counts, for the problem.
    private mutating func integer(_ record: CatalogRecord, _ column: String, _ meaning: String) -> Int64? {
        let text = record[column]
        guard !text.isEmpty else {
            report(.invalidValue, record, "\(column) is empty: give \(meaning)")
            return nil
        }
        guard let value = Int64(text) else {
            report(.invalidValue, record, "\(column) '\(text)' is not a whole number: give \(meaning)")
            return nil
        }
        return value
    }

    private mutating func report(_ reason: CatalogProblem.Reason, _ record: CatalogRecord, _ message: String) {
        problems.append(CatalogProblem(reason, at: record.location, message))
    }
}

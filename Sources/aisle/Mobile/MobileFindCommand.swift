import AisleCore
import AisleHub
import ArgumentParser
import Foundation

struct MobileFindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find the stores nearest to a place that sell a SKU, with their stock and opening hours.",
        discussion: """
            Asks the hub (GET /v1/availability, docs/hub-api.yaml), which knows every store's stock \
            as far as its tills have synced. Lists the stores nearest first, with the distance, the \
            units in stock ("out of stock" at 0) and the opening hours, and whether each is open at \
            this phone's local time (or --at): opening hours are in each store's local time, and a \
            phone near the stores is in their time zone. The hub's HTTP API is on the host and port \
            of its sync URL (--hub), unless --hub-http says otherwise.
            """)

    @Argument(help: "The SKU, such as oat-milk.") var sku: String

    @Option(name: .long, help: "Where you are: latitude,longitude in decimal degrees, such as 48.8566,2.3522.")
    var near: String

    @OptionGroup var hub: HubHTTPOptions

    @Option(name: .long, help: "Check opening hours at this local time (YYYY-MM-DDTHH:MM) instead of now.")
    var at: String?

    @Flag(name: .long, help: "List only the stores with the SKU in stock.")
    var inStockOnly = false

    func run() async throws {
        let query = AvailabilityQuery(
            sku: try readArgument { try SKU(sku) }, near: try readArgument { try GeoPoint(parsing: near) },
            localTime: try at.map { text in try readArgument { try LocalTime(parsing: text) } } ?? Self.now(),
            inStockOnly: inStockOnly)
        let view = try await hub.client().ask(query)
        print(
            Self.render(
                view, inStockOnly: inStockOnly, clock: at == nil ? "this phone's time" : "the time given with --at"))
    }

    /// The answer as a table, nearest store first, and a closing line naming the nearest store with stock.
    static func render(_ view: AvailabilityView, inStockOnly: Bool, clock: String) -> String {
        var lines = ["\(view.sku) (\(view.product)): stores near \(view.near), nearest first"]
        if let localTime = view.localTime, !view.stores.isEmpty {
            lines.append("NOW: open or closed at \(localTime), \(clock) (opening hours are each store's local time)")
        }
        guard !view.stores.isEmpty else {
            lines.append(
                inStockOnly ? "  no store has \(view.sku) in stock" : "  the catalog lists no store with a location")
            return lines.joined(separator: "\n")
        }
        let rows: [[String]] =
            [["STORE", "DISTANCE", "STOCK", "HOURS", view.localTime == nil ? "" : "NOW"]]
            + view.stores.map { store in
                [
                    "\(store.name) (\(store.id))", String(format: "%.1f km", Double(store.distanceMetres) / 1_000),
                    store.inStock ? "\(store.quantity)" : "out of stock", store.hours ?? "no hours published",
                    store.openNow.map { $0 ? "open" : "closed" } ?? "",
                ]
            }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                // Distances line up on the right, the rest on the left.
                return column == 1 ? padding + cell : cell + padding
            }
            var line = "  " + cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        if let nearest = view.stores.first(where: \.inStock) {
            lines.append(
                "nearest with stock: \(nearest.name), "
                    + String(format: "%.1f km", Double(nearest.distanceMetres) / 1_000)
                    + ", \(nearest.quantity) in stock")
        } else {
            lines.append("no store has \(view.sku) in stock")
        }
        return lines.joined(separator: "\n")
    }

    /// This phone's wall-clock time, in its own time zone.
    static func now() throws -> LocalTime {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone.current, from: Date())
        do {
            return try LocalTime(
                year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0,
                minute: parts.minute ?? 0)
        } catch {
            throw CommandFailure("this phone's clock gives no usable local time (\(error)): give one with --at")
        }
    }
}

/// Runs `make`, turning its error into a usage error that prints the error's sentence.
private func readArgument<Value>(_ make: () throws -> Value) throws -> Value {
    do { return try make() } catch { throw ValidationError("\(error)") }
}

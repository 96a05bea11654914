import AisleCore
import AisleNode
import AisleStore
import ArgumentParser
import Foundation

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Publish the catalog (products, prices, promotions, stores with opening hours) and show it.",
        discussion: """
            Head office publishes through its own node, DIR/hq/ (made and enrolled with the admin \
            key on first use; its replica is DIR/hq/hq.db). docs/catalog.md describes the file formats.
            """,
        subcommands: [CatalogImportCommand.self, CatalogShowCommand.self])
}

struct CatalogImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read products, promotions and stores from CSV or JSON files and publish what changed.",
        discussion: """
            --from is a directory holding products.csv (sku,name,category,price_minor), \
            promotions.csv (id,kind,sku,value,free) and stores.csv (id,name,latitude,longitude,hours), \
            or one .json file {"products": [...], "promotions": [...], "stores": [...]} with the same \
            fields. Every problem in the files is listed with its file and line, and then nothing is \
            published.

            The files are compared with head office's catalog: new and changed products, prices, \
            promotions, stores and opening hours are published as one change in the catalog scope; \
            what the catalog holds and the files no longer list is withdrawn (every node stops \
            offering it) unless --keep-missing is given. Importing the same files again publishes \
            nothing.

            The change reaches the hub with --hub (now) or with a later import with --hub, and every \
            till, kiosk and phone at its next sync. docs/catalog.md has the formats and rules.
            """)

    @OptionGroup var tenant: TenantDirectory

    @Option(name: .long, help: "The catalog directory (products.csv, promotions.csv, stores.csv) or .json file.")
    var from: String

    @Option(name: .long, help: "The hub's sync URL, such as ws://127.0.0.1:8470/v1/sync: send the change at once.")
    var hub: String?

    @Flag(name: .long, help: "Keep what the catalog holds and the files do not list, instead of withdrawing it.")
    var keepMissing = false

    @Option(name: .long, help: "With --hub: give up the sync after this many seconds.")
    var timeout: Int = 60

    func validate() throws {
        // Before anything is published: a mistyped URL is told first, not after.
        if let hub { try HubURL.validate(hub, timeout: timeout) }
    }

    func run() async throws {
        let publication: CatalogPublication
        do { publication = try CatalogPublication(contentsOf: from) } catch { throw CommandFailure(error.description) }
        print(
            "read \(from): \(publication.products.count) products, \(publication.promotions.count) promotions, "
                + "\(publication.stores.count) stores")
        let node = try HeadOfficeDevice(tenant: tenant).open()
        defer { try? node.store.close() }
        let changes: CatalogChanges
        do { changes = try await node.publishCatalog(publication, keepMissing: keepMissing) } catch let error
            as CatalogPublishError
        {
            throw CommandFailure(error.description)
        }
        if changes.isEmpty {
            print("the catalog already matches the files: nothing published")
        } else {
            print("published \(changes.writes.count) catalog objects as one change:")
        }
        for line in changes.summary { print("  \(line)") }
        if changes.writes.count <= 12 {
            for write in changes.writes { print("  \(write.isWithdrawal ? "withdrew" : "set") \(write.key)") }
        }
        try await HeadOfficeDevice.send(node, to: hub, timeout: timeout, holding: "catalog")
    }
}

struct CatalogShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a catalog: stores with location and opening hours, promotions, products with prices.",
        discussion: """
            With --dir, head office's published catalog (DIR/hq/hq.db); with --db, the catalog any \
            replica holds (a till's edge.db, a phone's phone.db), to check what reached it.
            """)

    @Option(name: .long, help: "The tenant directory: show head office's catalog.")
    var dir: String?

    @Option(name: .long, help: "A replica database: show the catalog it holds.")
    var db: String?

    func validate() throws {
        guard (dir == nil) != (db == nil) else { throw ValidationError("give either --dir or --db") }
    }

    func run() throws {
        let path = db ?? HeadOfficeDevice.database(ofTenant: dir!)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(
                db == nil
                    ? "no catalog published from \(dir!) yet: run `aisle admin catalog import --dir \(dir!) --from CATALOG`"
                    : "\(path) does not exist")
        }
        let replica = try ReplicaStore.replicaID(ofDatabaseAt: path)
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: replica)
        defer { try? store.close() }
        let catalog = try store.catalog()
        print(
            "catalog of \(replica) (\(path)): \(catalog.products.keys.count) products, "
                + "\(catalog.promotions.keys.count) promotions, \(catalog.stores.keys.count) stores; "
                + "revoked certificates: \(catalog.revocations.entries.count)")
        print("stores")
        table(
            catalog.stores.keys.map { id in
                let store = catalog.stores[id]!
                return [
                    id.rawValue, store.name, store.location?.description ?? "(location out of range)",
                    catalog.hours[id]?.description ?? "(no opening hours)",
                ]
            })
        print("promotions")
        table(catalog.promotions.keys.map { [$0.rawValue, describe(catalog.promotions[$0]!)] })
        print("products")
        table(
            Set(catalog.products.keys + catalog.prices.keys).sorted().map { sku in
                let product = catalog.products[sku]
                return [
                    sku.rawValue, product?.name ?? "(no description)", product?.category ?? "",
                    catalog.prices[sku].map(money) ?? "(no price)",
                ]
            })
    }

    /// Prints rows indented, each column as wide as its widest cell (the last one left ragged).
    private func table(_ rows: [[String]]) {
        guard let columns = rows.first?.count else { return print("  (none)") }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == columns - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            print("  " + cells.joined(separator: "  "))
        }
    }

    private func describe(_ promotion: Promotion) -> String {
        switch promotion {
        case .percentOff(let sku, let basisPoints):
            let percent = basisPoints % 100 == 0 ? "\(basisPoints / 100)" : money(basisPoints)
            return "\(percent) % off \(sku)"
        case .amountOff(let sku, let minor): return "\(money(minor)) off each \(sku)"
        case .buyXGetY(let sku, let buy, let free): return "buy \(buy) \(sku), get \(free) free"
        case .pointsMultiplier(let sku?, let multiplier): return "\(multiplier)× points on \(sku)"
        case .pointsMultiplier(nil, let multiplier): return "\(multiplier)× points on the whole cart"
        }
    }
}

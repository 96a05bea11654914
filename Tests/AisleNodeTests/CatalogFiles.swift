import AisleNode
import Foundation

/// Catalog files for the catalog tests: a small good catalog as CSV text, and the sample under data/.
enum CatalogFiles {
    static let products = """
        sku,name,category,price_minor
        oat-milk,Oat drink 1 l,dairy,189
        sourdough,"Sourdough, wheat 500 g",bakery,349
        coffee-beans,"Espresso ""Forte"" 1 kg",breakfast,1499
        milk,Whole milk 1 l,dairy,119

        """

    static let promotions = """
        id,kind,sku,value,free
        oat-20,percent_off,oat-milk,2000,
        bread-50c,amount_off,sourdough,50,
        milk-3for2,buy_x_get_y,milk,2,1
        double-points,points_multiplier,,2,
        coffee-points,points_multiplier,coffee-beans,3,

        """

    static let stores = """
        id,name,latitude,longitude,hours
        berlin,Aisle Berlin,52.521918,13.413215,"Mo-Sa 07:00-22:00; Su closed"
        paris,Aisle Paris,48.857487,2.3514,"Mo-Sa 08:30-21:30; Su 09:00-13:00"
        lyon,Aisle Lyon,45.757814,4.832011,

        """

    static var texts: [CatalogTable: String] { [.products: products, .promotions: promotions, .stores: stores] }

    /// The good catalog with `table`'s text replaced.
    static func with(_ table: CatalogTable, _ text: String) -> [CatalogTable: String] {
        var texts = self.texts
        texts[table] = text
        return texts
    }

    /// The repository's root, found from this file.
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The sample catalog the demo and the tests use.
    static var sample: String { repository.appendingPathComponent("data/catalog").path }
}

import AisleCore
import Foundation
import PropertyBased
import Testing

@Suite("Store locations and distances")
struct GeoPointTests {
    @Test(
        "decimal degrees are converted to microdegrees exactly",
        arguments: [
            ("52.520008", 52_520_008 as Int64), ("-0.1276", -127_600), ("48", 48_000_000), ("+2.352222", 2_352_222),
            ("0.000001", 1), ("13.4049540", 13_404_954), ("5e-05", 50), ("-90", -90_000_000), (" 1.5 ", 1_500_000),
        ])
    func exactConversion(text: String, microdegrees: Int64) throws {
        let point = try GeoPoint(latitude: text, longitude: "0")
        #expect(point.latitudeMicrodegrees == microdegrees)
        #expect(
            try GeoPoint(latitude: GeoPoint.degrees(microdegrees), longitude: "0") == point, "printed form reads back")
    }

    @Test(
        "text that is not an exact location is refused, saying why",
        arguments: [
            ("abc", "0", GeoPointError.notADecimal("latitude", "abc")),
            ("", "0", .notADecimal("latitude", "")),
            ("1.2.3", "0", .notADecimal("latitude", "1.2.3")),
            ("52,5", "0", .notADecimal("latitude", "52,5")),
            ("52.5200081", "0", .tooPrecise("latitude", "52.5200081")),
            ("90.000001", "0", .outOfRange("latitude", "90.000001", "-90 to 90")),
            ("0", "-180.5", .outOfRange("longitude", "-180.5", "-180 to 180")),
            ("0", "1e30", .outOfRange("longitude", "1e30", "-180 to 180")),
            ("0", "٣", .notADecimal("longitude", "٣")),
        ])
    func refusals(latitude: String, longitude: String, expected: GeoPointError) {
        #expect(throws: expected) { try GeoPoint(latitude: latitude, longitude: longitude) }
    }

    @Test("a location reads from latitude,longitude and prints the same way")
    func parsesPair() throws {
        let berlin = try GeoPoint(parsing: "52.520008,13.404954")
        #expect(berlin.description == "52.520008,13.404954")
        #expect(throws: GeoPointError.notADecimal("location", "52.5")) { try GeoPoint(parsing: "52.5") }
    }

    @Test("known distances: Berlin to Paris, half the equator, pole to pole, a point to itself")
    func knownDistances() throws {
        let berlin = try GeoPoint(parsing: "52.520008,13.404954")
        let paris = try GeoPoint(parsing: "48.856613,2.352222")
        #expect(abs(berlin.distance(to: paris) - 877_459.90) < 0.01)
        #expect(berlin.distance(to: paris) == paris.distance(to: berlin))
        #expect(berlin.distance(to: berlin) == 0)
        let halfEquator = Double.pi * GeoPoint.earthRadius
        #expect(abs(try GeoPoint(parsing: "0,0").distance(to: GeoPoint(parsing: "0,180")) - halfEquator) < 1e-6)
        #expect(abs(try GeoPoint(parsing: "90,0").distance(to: GeoPoint(parsing: "-90,0")) - halfEquator) < 1e-6)
    }

    @Test("the distance agrees to the millimetre with the haversine formula on the platform's maths library")
    func matchesReference() async {
        await propertyCheck(count: 2_000, input: Gen.uint64().array(of: 4...4)) { words in
            func coordinate(_ word: UInt64, _ limit: Int64) -> Int64 { Int64(word % UInt64(2 * limit + 1)) - limit }
            let a = try! GeoPoint(
                latitudeMicrodegrees: coordinate(words[0], 90_000_000),
                longitudeMicrodegrees: coordinate(words[1], 180_000_000))
            let b = try! GeoPoint(
                latitudeMicrodegrees: coordinate(words[2], 90_000_000),
                longitudeMicrodegrees: coordinate(words[3], 180_000_000))
            let expected = Self.reference(a, b)
            // Near-antipodal points are ill-conditioned (1 − a is tiny): a millimetre covers them.
            #expect(abs(a.distance(to: b) - expected) <= 1e-3, "\(a) → \(b)")
        }
    }

    /// The textbook haversine with Foundation's sin, cos and atan2.
    static func reference(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        let toRadians = Double.pi / 180_000_000
        let latitude1 = Double(a.latitudeMicrodegrees) * toRadians
        let latitude2 = Double(b.latitudeMicrodegrees) * toRadians
        let deltaLatitude = latitude2 - latitude1
        let deltaLongitude = Double(b.longitudeMicrodegrees - a.longitudeMicrodegrees) * toRadians
        let h =
            sin(deltaLatitude / 2) * sin(deltaLatitude / 2) + cos(latitude1) * cos(latitude2)
            * sin(deltaLongitude / 2) * sin(deltaLongitude / 2)
        let clamped = min(1, max(0, h))
        return GeoPoint.earthRadius * 2 * atan2(clamped.squareRoot(), (1 - clamped).squareRoot())
    }

    @Test("a store's location comes from its microdegrees")
    func storeLocation() throws {
        let store = StoreInfo(name: "Mitte", latitudeMicrodegrees: 52_520_008, longitudeMicrodegrees: 13_404_954)
        #expect(store.location == (try GeoPoint(parsing: "52.520008,13.404954")))
        #expect(StoreInfo(name: "x", latitudeMicrodegrees: 91_000_000, longitudeMicrodegrees: 0).location == nil)
    }
}

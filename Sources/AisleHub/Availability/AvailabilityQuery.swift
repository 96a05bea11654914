public import AisleCore

/// A question to the hub's `GET /v1/availability`: which SKU, near where, at what local time (for
/// "open now"), and whether to list only the stores that hold stock.
///
/// The hub reads it from the query string (``init(parameter:)``) and a client writes it
/// (``pathAndQuery``), so both sides agree on the parameter names: `sku`, `near` (`lat,lon` in
/// decimal degrees), `localTime` (`YYYY-MM-DDTHH:MM`, the caller's wall clock, no zone) and
/// `inStockOnly` (`true` or `false`).
public struct AvailabilityQuery: Sendable, Equatable {
    /// The SKU asked about.
    public var sku: SKU
    /// Where the customer is; stores are ordered by their distance from it.
    public var near: GeoPoint
    /// The caller's local wall-clock time: each store's opening hours are read against it, as
    /// the catalog holds no time zones. Without it, the answer says nothing about "open now".
    public var localTime: LocalTime?
    /// List only the stores that hold at least one unit.
    public var inStockOnly: Bool

    /// The route the query is asked on.
    public static let path = "/v1/availability"

    /// A query from its parts.
    public init(sku: SKU, near: GeoPoint, localTime: LocalTime? = nil, inStockOnly: Bool = false) {
        self.sku = sku
        self.near = near
        self.localTime = localTime
        self.inStockOnly = inStockOnly
    }

    /// A query from request parameters, `parameter(name)` being the (percent-decoded) value of
    /// the parameter `name`, nil when absent.
    ///
    /// - Throws: ``AvailabilityRequestError`` naming the missing or malformed parameter and what to write.
    public init(parameter: (String) -> String?) throws(AvailabilityRequestError) {
        guard let skuText = parameter("sku"), !skuText.isEmpty else { throw .missingParameter("sku") }
        guard let nearText = parameter("near"), !nearText.isEmpty else { throw .missingParameter("near") }
        do { sku = try SKU(skuText) } catch { throw .invalidSKU(error) }
        do { near = try GeoPoint(parsing: nearText) } catch { throw .invalidLocation(error) }
        if let text = parameter("localTime"), !text.isEmpty {
            do { localTime = try LocalTime(parsing: text) } catch { throw .invalidLocalTime(error) }
        } else {
            localTime = nil
        }
        switch parameter("inStockOnly")?.lowercased() {
        case nil, "", "false": inStockOnly = false
        case "true": inStockOnly = true
        case let other?: throw .invalidFlag("inStockOnly", other)
        }
    }

    /// The route with the query string, such as
    /// `/v1/availability?sku=oat-milk&near=48.8566,2.3522&localTime=2025-06-03T14:30`.
    ///
    /// Every value is already URL-safe: an SKU is letters, digits and `-_.:`; a location and a
    /// local time are digits and `-.,:T`.
    public var pathAndQuery: String {
        var query = ["sku=\(sku)", "near=\(near)"]
        if let localTime { query.append("localTime=\(localTime)") }
        if inStockOnly { query.append("inStockOnly=true") }
        return Self.path + "?" + query.joined(separator: "&")
    }
}

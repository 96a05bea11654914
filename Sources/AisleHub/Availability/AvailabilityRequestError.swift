public import AisleCore
import Foundation
public import Hummingbird

/// A `GET /v1/availability` the hub refuses: 400 for a missing or malformed parameter, 404 for a
/// SKU the catalog does not hold. The body is `{"error": {"code": "...", "message": "..."}}`
/// (``AvailabilityErrorView``): `code` for programs, `message` a sentence for people.
public struct AvailabilityRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case missingParameter(String)
        case invalidSKU(IdentifierError)
        case invalidLocation(GeoPointError)
        case invalidLocalTime(LocalTimeError)
        case invalidFlag(String, String)
        case unknownSKU(StockAvailabilityError)
    }

    private let value: Code

    private init(_ value: Code) {
        self.value = value
    }

    /// The required parameter `name` (`sku` or `near`) is absent or empty.
    public static func missingParameter(_ name: String) -> Self { Self(.missingParameter(name)) }
    /// `sku` is not a valid SKU.
    public static func invalidSKU(_ error: IdentifierError) -> Self { Self(.invalidSKU(error)) }
    /// `near` is not a location.
    public static func invalidLocation(_ error: GeoPointError) -> Self { Self(.invalidLocation(error)) }
    /// `localTime` is not a local time.
    public static func invalidLocalTime(_ error: LocalTimeError) -> Self { Self(.invalidLocalTime(error)) }
    /// The flag `name` is neither `true` nor `false`.
    public static func invalidFlag(_ name: String, _ text: String) -> Self { Self(.invalidFlag(name, text)) }
    /// The catalog holds no product with the SKU.
    public static func unknownSKU(_ error: StockAvailabilityError) -> Self { Self(.unknownSKU(error)) }

    /// The machine-readable reason: `missingParameter`, `invalidSKU`, `invalidLocation`,
    /// `invalidLocalTime`, `invalidParameter` or `unknownSKU`.
    public var code: String {
        switch value {
        case .missingParameter: "missingParameter"
        case .invalidSKU: "invalidSKU"
        case .invalidLocation: "invalidLocation"
        case .invalidLocalTime: "invalidLocalTime"
        case .invalidFlag: "invalidParameter"
        case .unknownSKU: "unknownSKU"
        }
    }

    public var description: String {
        switch value {
        case .missingParameter("sku"):
            "the SKU is missing: ask with ?sku=SKU&near=LATITUDE,LONGITUDE"
        case .missingParameter(let name):
            "the parameter \(name) is missing: give near=LATITUDE,LONGITUDE in decimal degrees, such as "
                + "near=48.8566,2.3522"
        case .invalidSKU(let error): error.description
        case .invalidLocation(let error): "near: \(error.description)"
        case .invalidLocalTime(let error): "localTime: \(error.description)"
        case .invalidFlag(let name, let text): "\(name) '\(text)' is neither true nor false"
        case .unknownSKU(let error): error.description
        }
    }
}

extension AvailabilityRequestError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        if case .unknownSKU = value { return .notFound }
        return .badRequest
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = AvailabilityErrorView(error: .init(code: code, message: description))
        var response = try context.responseEncoder.encode(body, from: request, context: context)
        response.status = status
        return response
    }
}

/// The body of a refused availability request, as the hub sends it and a client reads it.
public struct AvailabilityErrorView: Codable, Sendable, Equatable {
    /// The refusal.
    public struct Detail: Codable, Sendable, Equatable {
        /// ``AvailabilityRequestError/code``.
        public let code: String
        /// A sentence saying what is wrong and what to do.
        public let message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public let error: Detail

    public init(error: Detail) {
        self.error = error
    }
}

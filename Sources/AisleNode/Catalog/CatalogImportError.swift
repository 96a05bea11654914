/// Where in the source files a catalog entry is: a CSV file's line, or a JSON file's entry.
public struct CatalogSourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file, as given.
    public let file: String
    /// The line a CSV record starts on (the header is line 1); nil for JSON and whole-file problems.
    public let line: Int?
    /// The JSON entry, such as `products[3]`; nil for CSV and whole-file problems.
    public let entry: String?

    /// A location; give `line` for CSV, `entry` for JSON, neither for the whole file.
    public init(file: String, line: Int? = nil, entry: String? = nil) {
        self.file = file
        self.line = line
        self.entry = entry
    }

    public var description: String {
        if let line { return "\(file) line \(line)" }
        if let entry { return "\(file) \(entry)" }
        return file
    }
}

/// One problem in the catalog's source files: where it is, what kind of problem, and what to do.
public struct CatalogProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of problem, for callers that react to some (tests, tools); compare with the statics.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// A file the catalog needs does not exist.
        public static let missingFile = Reason("missing file")
        /// A file that cannot be read, or is not UTF-8 text.
        public static let unreadableFile = Reason("unreadable file")
        /// A CSV file with broken quoting, or a JSON file that does not parse or has the wrong shape.
        public static let malformedFile = Reason("malformed file")
        /// A CSV header (or JSON entry) that lacks a column, repeats one or has an unknown one.
        public static let badHeader = Reason("bad header")
        /// A row whose number of fields differs from the header's.
        public static let wrongFieldCount = Reason("wrong field count")
        /// An identifier (SKU, promotion id, store id) that is not valid.
        public static let invalidID = Reason("invalid id")
        /// A field that is empty, not a whole number where one is needed, or otherwise unusable.
        public static let invalidValue = Reason("invalid value")
        /// A price below zero.
        public static let negativePrice = Reason("negative price")
        /// Coordinates that are not decimal degrees in range with at most six decimals.
        public static let badCoordinates = Reason("bad coordinates")
        /// Opening hours that do not parse.
        public static let badHours = Reason("bad hours")
        /// A promotion of an unknown kind or with numbers out of range.
        public static let badPromotion = Reason("bad promotion")
        /// An id given twice in one file.
        public static let duplicateID = Reason("duplicate id")
        /// A promotion naming a SKU the products do not list.
        public static let unknownSKU = Reason("unknown SKU")

        public var description: String { name }
    }

    public let reason: Reason
    public let location: CatalogSourceLocation
    /// What is wrong and what to write instead.
    public let message: String

    public init(_ reason: Reason, at location: CatalogSourceLocation, _ message: String) {
        self.reason = reason
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Catalog files that were refused: every problem found, so all can be fixed in one go. Nothing
/// was published.
public struct CatalogImportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The problems, in file and line order.
    public let problems: [CatalogProblem]

    public init(_ problems: [CatalogProblem]) {
        self.problems = problems
    }

    /// How many problems the description lists before summing up the rest.
    static let listed = 20

    public var description: String {
        let count = problems.count
        var lines = ["the catalog was not published: \(count) problem\(count == 1 ? "" : "s") in the files"]
        lines += problems.prefix(Self.listed).map { "  \($0)" }
        if count > Self.listed { lines.append("  … and \(count - Self.listed) more") }
        return lines.joined(separator: "\n")
    }
}

/// A publication the node refused before writing anything.
public struct CatalogPublishError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case notHeadOffice(String, String)
        case noCatalogGrant(String)
        case changeTooLarge(Int, Int)
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The node's certificate is not head office's (`role` of `device`).
    public static func notHeadOffice(role: String, device: String) -> Self { Self(.notHeadOffice(role, device)) }
    /// The node's certificate does not grant the catalog scope.
    public static func noCatalogGrant(device: String) -> Self { Self(.noCatalogGrant(device)) }
    /// The change would be `bytes` long, over the `limit` one sync frame carries.
    public static func changeTooLarge(bytes: Int, limit: Int) -> Self { Self(.changeTooLarge(bytes, limit)) }

    public var description: String {
        switch code {
        case .notHeadOffice(let role, let device):
            "\(device) is a \(role) device: only head office (role hq) publishes the catalog, and every node refuses catalog changes from anyone else"
        case .noCatalogGrant(let device):
            "\(device)'s certificate does not grant the catalog scope: enrol it again with scope catalog"
        case .changeTooLarge(let bytes, let limit):
            "this import changes \(bytes / 1_024) KiB of the catalog, more than the \(limit / 1_024) KiB one change may carry through sync: import it in parts (for example one category at a time, with --keep-missing)"
        }
    }
}

import Foundation

/// The three tables a catalog is published from.
public enum CatalogTable: String, CaseIterable, Sendable {
    case products, promotions, stores

    /// The table's file in a catalog directory.
    public var fileName: String { rawValue + ".csv" }

    /// The columns, in the order the header names them.
    public var columns: [String] {
        switch self {
        case .products: ["sku", "name", "category", "price_minor"]
        case .promotions: ["id", "kind", "sku", "value", "free"]
        case .stores: ["id", "name", "latitude", "longitude", "hours"]
        }
    }

    /// Columns a JSON entry may leave out (read as empty).
    var optionalInJSON: Set<String> {
        switch self {
        case .products: ["category"]
        case .promotions: ["sku", "free"]
        case .stores: ["hours"]
        }
    }
}

/// One entry of a catalog source before it is checked: where it is, and its fields by column
/// (trimmed; empty when left out).
struct CatalogRecord {
    let location: CatalogSourceLocation
    let fields: [String: String]

    subscript(column: String) -> String { fields[column] ?? "" }
}

/// Reads catalog files into records per table, collecting every file-level problem.
enum CatalogSource {
    /// The records of each readable table, and the problems of the files that were not.
    typealias Reading = (records: [CatalogTable: [CatalogRecord]], problems: [CatalogProblem])

    /// Reads `path`: a directory holding products.csv, promotions.csv and stores.csv, or one JSON file.
    static func read(_ path: String) -> Reading {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return ([:], [problem(.missingFile, path, "does not exist: give a catalog directory or a .json file")])
        }
        if isDirectory.boolValue {
            var reading: Reading = ([:], [])
            for table in CatalogTable.allCases {
                let file = (path as NSString).appendingPathComponent(table.fileName)
                switch text(
                    of: file,
                    missing:
                        "a catalog directory holds products.csv, promotions.csv and stores.csv (a file with only its header publishes none)"
                ) {
                case .success(let text): csv(text, file: file, table: table, into: &reading)
                case .failure(let problem): reading.problems.append(problem)
                }
            }
            return reading
        }
        guard path.lowercased().hasSuffix(".json") else {
            return (
                [:],
                [
                    problem(
                        .unreadableFile, path,
                        "is neither a directory nor a .json file: give the directory holding products.csv, promotions.csv and stores.csv, or a .json file"
                    )
                ]
            )
        }
        switch text(of: path, missing: "") {
        case .success(let text): return json(text, file: path)
        case .failure(let problem): return ([:], [problem])
        }
    }

    /// Reads one table's CSV text into `reading`.
    static func csv(_ text: String, file: String, table: CatalogTable, into reading: inout Reading) {
        let parsed: CSVTable
        do { parsed = try CSVTable(text, file: file) } catch {
            reading.problems.append(error)
            return
        }
        guard let header = parsed.header else {
            reading.problems.append(
                problem(
                    .badHeader, file,
                    "is empty: its first line must be the header \(table.columns.joined(separator: ","))"))
            return
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let headerProblems = check(columns: names, of: table, at: CatalogSourceLocation(file: file, line: header.line))
        guard headerProblems.isEmpty else {
            reading.problems += headerProblems
            return
        }
        var records: [CatalogRecord] = []
        for record in parsed.records {
            let location = CatalogSourceLocation(file: file, line: record.line)
            guard record.fields.count == names.count else {
                reading.problems.append(
                    CatalogProblem(
                        .wrongFieldCount, at: location,
                        "has \(record.fields.count) fields, the header \(names.count): put a field holding a comma in double quotes"
                    ))
                continue
            }
            let fields = zip(names, record.fields).map { ($0, $1.trimmingCharacters(in: .whitespacesAndNewlines)) }
            records.append(CatalogRecord(location: location, fields: Dictionary(uniqueKeysWithValues: fields)))
        }
        reading.records[table] = records
    }

    /// Reads a JSON document `{"products": [...], "promotions": [...], "stores": [...]}`.
    static func json(_ text: String, file: String) -> Reading {
        let document: [String: [[String: JSONScalar]]]
        do { document = try JSONDecoder().decode([String: [[String: JSONScalar]]].self, from: Data(text.utf8)) } catch {
            return ([:], [problem(.malformedFile, file, describe(error, in: text))])
        }
        var reading: Reading = ([:], [])
        for key in document.keys.sorted() where CatalogTable(rawValue: key) == nil {
            reading.problems.append(
                problem(
                    .malformedFile, file, "has an unknown key '\(key)': the keys are products, promotions and stores"))
        }
        for table in CatalogTable.allCases {
            guard let entries = document[table.rawValue] else {
                reading.problems.append(
                    problem(
                        .malformedFile, file,
                        "has no '\(table.rawValue)' list: give all three lists (an empty list publishes none)"))
                continue
            }
            var records: [CatalogRecord] = []
            for (index, entry) in entries.enumerated() {
                let location = CatalogSourceLocation(file: file, entry: "\(table.rawValue)[\(index)]")
                var fields: [String: String] = [:]
                var entryProblems: [CatalogProblem] = []
                for (key, value) in entry {
                    guard let text = value.text else {
                        entryProblems.append(
                            CatalogProblem(.invalidValue, at: location, "\(key) must be text or a number, not \(value)")
                        )
                        continue
                    }
                    fields[key] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let required = table.columns.filter { !table.optionalInJSON.contains($0) }
                entryProblems += check(
                    columns: Array(entry.keys), of: table, at: location, required: required, noun: "field")
                guard entryProblems.isEmpty else {
                    reading.problems += entryProblems
                    continue
                }
                records.append(CatalogRecord(location: location, fields: fields))
            }
            reading.records[table] = records
        }
        return reading
    }

    /// Problems with a header's (or a JSON entry's) columns: missing, repeated or unknown.
    private static func check(
        columns: [String], of table: CatalogTable, at location: CatalogSourceLocation, required: [String]? = nil,
        noun: String = "column"
    ) -> [CatalogProblem] {
        let expected = table.columns.joined(separator: ",")
        var problems: [CatalogProblem] = []
        let missing = (required ?? table.columns).filter { !columns.contains($0) }
        if !missing.isEmpty {
            problems.append(
                CatalogProblem(
                    .badHeader, at: location, "lacks \(missing.joined(separator: ", ")): the \(noun)s are \(expected)"))
        }
        let unknown = columns.filter { !table.columns.contains($0) }.sorted()
        if !unknown.isEmpty {
            problems.append(
                CatalogProblem(
                    .badHeader, at: location,
                    "has unknown \(noun)\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")): the \(noun)s are \(expected)"
                ))
        }
        let repeated = Set(columns.filter { name in columns.filter { $0 == name }.count > 1 }).sorted()
        if !repeated.isEmpty {
            problems.append(
                CatalogProblem(
                    .badHeader, at: location, "names \(repeated.joined(separator: ", ")) twice: name each \(noun) once")
            )
        }
        return problems
    }

    private static func text(of file: String, missing hint: String) -> Result<String, CatalogProblem> {
        guard FileManager.default.fileExists(atPath: file) else {
            return .failure(problem(.missingFile, file, "does not exist" + (hint.isEmpty ? "" : ": \(hint)")))
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return .failure(problem(.unreadableFile, file, "cannot be read: check its permissions"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(
                problem(.unreadableFile, file, "is not UTF-8 text: save it as UTF-8 (CSV UTF-8 in a spreadsheet)"))
        }
        return .success(text)
    }

    private static func problem(_ reason: CatalogProblem.Reason, _ file: String, _ message: String) -> CatalogProblem {
        CatalogProblem(reason, at: CatalogSourceLocation(file: file), message)
    }

    /// A JSON decoding failure in words: where in the document, and what was expected.
    private static func describe(_ error: any Error, in text: String) -> String {
        guard let error = error as? DecodingError else { return "is not valid JSON: \(error)" }
        let shape =
            #"the file must be one object {"products": [...], "promotions": [...], "stores": [...]} of lists of objects"#
        switch error {
        case .dataCorrupted:
            return "is not valid JSON" + syntaxError(in: text)
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return "has the wrong shape at \(path.isEmpty ? "the top" : String(path.drop { $0 == "." })): \(shape)"
        @unknown default:
            return "is not valid JSON: \(error)"
        }
    }
}

extension CatalogSource {
    /// Where JSON text stops parsing, as `: invalid value at line 3, column 7` (empty if it parses).
    fileprivate static func syntaxError(in text: String) -> String {
        let detail: String
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
            return ""
        } catch {
            detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        }
        // Foundation says "… around character N." with N a byte offset; people count lines.
        guard let range = detail.range(of: #"around character \d+"#, options: .regularExpression),
            let offset = Int(detail[range].split(separator: " ").last ?? "")
        else { return detail.isEmpty ? "" : ": \(detail)" }
        let before = Array(text.utf8.prefix(offset))
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        let what = detail[..<range.lowerBound].trimmingCharacters(in: .whitespaces).lowercased()
        return ": \(what.isEmpty ? "it stops parsing" : what) at line \(line), column \(column)"
    }
}

/// A JSON value that can stand for a CSV field: text, a number, or null (an empty field).
enum JSONScalar: Decodable, CustomStringConvertible {
    case text(String)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    /// The value as a CSV field would hold it; nil for a boolean, which no column takes.
    var text: String? {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        // Swift prints the shortest text that reads back as the same double: 52.520008 stays "52.520008".
        case .number(let value): "\(value)"
        case .boolean: nil
        case .null: ""
        }
    }

    var description: String {
        switch self {
        case .text(let text): "'\(text)'"
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .boolean(let value): "\(value)"
        case .null: "null"
        }
    }
}

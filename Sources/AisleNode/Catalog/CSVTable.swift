/// A CSV file as RFC 4180 writes it, the way spreadsheets export it: fields separated by commas,
/// records by line breaks (LF or CRLF); a field in double quotes may hold commas, line breaks and
/// doubled quotes (`""` for one `"`). The first record is the header. A byte-order mark at the
/// start is ignored, as are blank lines.
struct CSVTable {
    /// One record: the line it starts on (the header is line 1) and its fields, unquoted.
    struct Record {
        let line: Int
        let fields: [String]
    }

    /// The header's fields, then every other record.
    let header: Record?
    let records: [Record]

    /// Reads `text`; `file` names it in errors.
    ///
    /// - Throws: a ``CatalogProblem`` for quoting that makes the rest of the file unreadable (a
    ///   quote never closed, text after a closing quote, a quote inside an unquoted field).
    init(_ text: String, file: String) throws(CatalogProblem) {
        var all: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var quotedSince: Int?
        var wasQuoted = false
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }

        func problem(_ message: String, at line: Int) -> CatalogProblem {
            CatalogProblem(.malformedFile, at: CatalogSourceLocation(file: file, line: line), message)
        }
        func endRecord() {
            fields.append(String(field))
            // A blank line is one empty unquoted field: skip it.
            if !(fields.count == 1 && fields[0].isEmpty && !wasQuoted) {
                all.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            field = String.UnicodeScalarView()
            wasQuoted = false
        }

        while let scalar = scalars.popFirst() {
            if let opened = quotedSince {
                if scalar == "\"" {
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.append("\"")
                    } else {
                        quotedSince = nil
                        if let next = scalars.first, next != ",", next != "\n", next != "\r" {
                            throw problem(
                                "text after the closing quote of a field opened on line \(opened): "
                                    + "inside a quoted field write a quote as two quotes (\"\")", at: line)
                        }
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty else {
                    throw problem(
                        "a quote inside an unquoted field: put the whole field in quotes and write the quote as \"\"",
                        at: line)
                }
                quotedSince = line
                wasQuoted = true
            case ",":
                fields.append(String(field))
                field = String.UnicodeScalarView()
                wasQuoted = false
            case "\r" where scalars.first == "\n":
                break
            case "\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(scalar)
            }
        }
        if let opened = quotedSince {
            throw problem("the quoted field opened on this line is never closed: add the closing quote", at: opened)
        }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        header = all.first
        records = Array(all.dropFirst())
    }
}

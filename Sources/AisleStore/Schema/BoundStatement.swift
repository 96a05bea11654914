import Foundation
import GRDB
import GRDBSQLite

/// One run of a cached statement whose arguments are bound through SQLite's C API.
///
/// The hot statements (reading and writing a stock row, a change-log row, a version) run once
/// per applied delta; GRDB's `StatementArguments` (an array of existentials converted to
/// `DatabaseValue`s, then bound) cost more than the statement itself there
/// (docs/performance.md). Bind every parameter, in order, then ``run()`` a write or read the
/// ``firstBlob()`` of a query, inside a transaction GRDB opened.
struct BoundStatement: ~Copyable {
    private let statement: Statement
    private let handle: OpaquePointer
    private let connection: OpaquePointer?
    private var index: Int32 = 0

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
    }

    mutating func bind(_ text: String) {
        index += 1
        var text = text
        text.withUTF8 { utf8 in
            _ = sqlite3_bind_text(handle, index, utf8.baseAddress, Int32(utf8.count), transient)
        }
    }

    mutating func bind(_ text: String?) {
        guard let text else { return bindNull() }
        bind(text)
    }

    /// Binds NULL to the next parameter.
    mutating func bindNull() {
        index += 1
        sqlite3_bind_null(handle, index)
    }

    mutating func bind(_ integer: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, integer)
    }

    mutating func bind(_ integer: Int) { bind(Int64(integer)) }

    mutating func bind(_ integer: Int64?) {
        guard let integer else { return bindNull() }
        bind(integer)
    }

    mutating func bind(_ blob: [UInt8]?) {
        guard let blob else { return bindNull() }
        index += 1
        guard !blob.isEmpty else {
            // Not NULL: a zero-length blob (sqlite3_bind_blob would store NULL for no bytes).
            sqlite3_bind_zeroblob(handle, index, 0)
            return
        }
        blob.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), transient)
        }
    }

    /// Steps the statement to its end and resets it.
    /// - Throws: `DatabaseError` as GRDB reports one (a constraint, a full disk).
    consuming func run() throws {
        precondition(index == sqlite3_bind_parameter_count(handle), "every parameter is bound")
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// The first column of the first row the query returns, as bytes; nil when it returns no row
    /// (or NULL there). Resets the statement.
    /// - Throws: `DatabaseError` as GRDB reports one.
    consuming func firstBlob() throws -> [UInt8]? {
        precondition(index == sqlite3_bind_parameter_count(handle), "every parameter is bound")
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        switch code {
        case SQLITE_DONE:
            return nil
        case SQLITE_ROW:
            guard sqlite3_column_type(handle, 0) != SQLITE_NULL else { return nil }
            let count = Int(sqlite3_column_bytes(handle, 0))
            guard count > 0, let bytes = sqlite3_column_blob(handle, 0) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: count))
        default:
            throw failure(code)
        }
    }

    /// Hands `body` each row the query returns, its first column as text and its second as bytes
    /// (NULL as empty). Resets the statement.
    /// - Throws: `DatabaseError` as GRDB reports one, or what `body` throws.
    consuming func forEachRow(_ body: (String, [UInt8]) throws -> Void) throws {
        precondition(index == sqlite3_bind_parameter_count(handle), "every parameter is bound")
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else {
                if code == SQLITE_DONE { return }
                throw failure(code)
            }
            let text = sqlite3_column_text(handle, 0).map { String(cString: $0) } ?? ""
            let count = Int(sqlite3_column_bytes(handle, 1))
            let bytes = sqlite3_column_blob(handle, 1).map { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
            try body(text, bytes ?? [])
        }
    }

    /// The first column of the first row the query returns, as an integer; nil when it returns
    /// no row. Resets the statement.
    /// - Throws: `DatabaseError` as GRDB reports one.
    consuming func firstInteger() throws -> Int64? {
        precondition(index == sqlite3_bind_parameter_count(handle), "every parameter is bound")
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        switch code {
        case SQLITE_DONE: return nil
        case SQLITE_ROW: return sqlite3_column_int64(handle, 0)
        default: throw failure(code)
        }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

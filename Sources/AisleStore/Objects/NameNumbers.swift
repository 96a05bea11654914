import GRDB
import Synchronization

/// The replica's dictionary of names it stores as numbers (`name_numbers`): store ids in the
/// key of `stock`, replica ids inside stored counter states. A number, once committed, names
/// the same string forever; numbers are local to this file and never leave it.
///
/// Both directions are cached, shared by the writer and the readers. Readers add only what they
/// read from committed rows. The writer adds the numbers it assigns as it assigns them, so a
/// write transaction that rolls back must call ``forgetAll()`` (``WriterMemo/rolledBack()``
/// does): a number it handed out may be handed out again, to another name.
final class NameNumbers: Sendable {
    private struct Known {
        var numbers: [String: Int64] = [:]
        var names: [Int64: String] = [:]

        mutating func add(_ name: String, _ number: Int64) {
            numbers[name] = number
            names[number] = name
        }
    }

    private let known = Mutex(Known())

    init() {}

    /// The number of `name`, assigned (in the running write transaction) when it has none yet.
    func number(for name: String, _ db: Database) throws -> Int64 {
        if let number = try existingNumber(for: name, db) { return number }
        try db.cachedStatement(sql: "INSERT INTO name_numbers (name) VALUES (?)").execute(arguments: [name])
        let number = db.lastInsertedRowID
        known.withLock { $0.add(name, number) }
        return number
    }

    /// The number of `name`, nil when it was never assigned one (then no row refers to it).
    func existingNumber(for name: String, _ db: Database) throws -> Int64? {
        if let number = known.withLock({ $0.numbers[name] }) { return number }
        guard
            let number = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT name_no FROM name_numbers WHERE name = ?"), arguments: [name])
        else { return nil }
        known.withLock { $0.add(name, number) }
        return number
    }

    /// The name numbered `number`; nil when no name has it (a damaged row refers to it).
    func name(of number: Int64, _ db: Database) throws -> String? {
        if let name = known.withLock({ $0.names[number] }) { return name }
        guard
            let name = try String.fetchOne(
                db.cachedStatement(sql: "SELECT name FROM name_numbers WHERE name_no = ?"), arguments: [number])
        else { return nil }
        known.withLock { $0.add(name, number) }
        return name
    }

    /// Forgets every cached number: after a rolled-back write, which may have assigned some.
    func forgetAll() {
        known.withLock { $0 = Known() }
    }
}

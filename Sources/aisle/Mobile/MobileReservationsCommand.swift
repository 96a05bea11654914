import AisleCore
import AisleEdge
import AisleNode
import AisleStore
import AisleSync
import ArgumentParser
import Foundation
import Logging

/// The customer's click-and-collect reservations, as this phone keeps them in the customer's own
/// scope (docs/semantics.md, "The phone's reservations").
struct MobileReservationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reservations",
        abstract: "List the customer's reservations: store, items, where each stands, and its deadline.",
        discussion: """
            Reads what this phone keeps, offline: `aisle mobile reserve` notes each reservation it \
            places, and `aisle mobile sync` asks the hub where every reservation of the customer \
            stands (placed, picked, collected, released) and notes that too, so the list is as fresh \
            as the last sync. A reservation past its deadline and not collected reads as expired.
            """)

    @OptionGroup var phone: PhoneOptions
    @Flag(name: .long, help: "Print JSON instead of sentences.") var json = false

    func run() async throws {
        let (node, customer) = try phone.open()
        defer { try? node.store.close() }
        let now = node.store.wallClock()
        let notes = try node.store.reservationNotes(of: customer).compactMap { id, note in
            note.terms.map { Self.Entry(id: id, terms: $0, status: note.status(at: now)) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let list = Self.List(customer: customer.rawValue, reservations: notes.map(Self.Item.init))
            print(String(decoding: try encoder.encode(list), as: UTF8.self))
            return
        }
        guard !notes.isEmpty else {
            print("\(customer) has no reservations on this phone (`aisle mobile sync` fetches those made elsewhere)")
            return
        }
        print("reservations of \(customer), soonest deadline first:")
        for entry in notes { print("  " + Self.sentence(entry)) }
    }

    struct Entry {
        let id: ReservationID
        let terms: ReservationNote.Terms
        let status: ReservationStatus
    }

    /// One reservation in a sentence: what, where, where it stands, and what the deadline means.
    static func sentence(_ entry: Entry) -> String {
        let items = entry.terms.lines.keys.sorted().map { "\(entry.terms.lines[$0]!) × \($0)" }
            .joined(separator: ", ")
        let deadline = iso(entry.terms.expiresAt)
        let what = "\(entry.id): \(items) at \(entry.terms.store)"
        switch entry.status {
        case .placed: return "\(what), set aside: collect it before \(deadline)"
        case .picked: return "\(what), picked and ready at the counter: collect it before \(deadline)"
        case .collected: return "\(what), collected"
        case .expired: return "\(what), expired at \(deadline) without being collected: its units went back on sale"
        case .released: return "\(what), released before its deadline: its units went back on sale"
        }
    }

    static func iso(_ millis: UInt64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1_000).formatted(.iso8601)
    }

    struct List: Encodable {
        let customer: String
        let reservations: [Item]
    }

    struct Item: Encodable {
        struct Line: Encodable {
            let sku: String
            let units: Int64
        }
        let id: String
        let store: String
        let lines: [Line]
        /// placed, picked, collected, expired or released.
        let status: String
        let expiresAt: String
        let expiresAtMs: UInt64

        init(_ entry: Entry) {
            id = entry.id.rawValue
            store = entry.terms.store.rawValue
            lines = entry.terms.lines.keys.sorted().map { Line(sku: $0.rawValue, units: entry.terms.lines[$0]!) }
            status = entry.status.rawValue
            expiresAt = MobileReservationsCommand.iso(entry.terms.expiresAt)
            expiresAtMs = entry.terms.expiresAt
        }
    }

    /// Asks the hub where `customer`'s reservations stand and notes it in the customer's scope (the
    /// next sync sends the notes to the customer's other devices).
    ///
    /// Asked on a connection of its own after the sync, whose exchange it would otherwise take
    /// over silently (its session exchanges changes as any other).
    ///
    /// - Returns: how many reservations the hub reported, or nil when it would not say.
    static func refresh(_ node: ReplicaNode, customer: CustomerID, hub: String, timeout: Int) async throws -> Int? {
        var logger = Logger(label: "aisle.mobile")
        logger.logLevel = .warning
        let link = HubLink(node: node, url: try HubURL.parse(hub).sync, logger: logger)
        let reply: SyncReply
        do {
            reply = try await link.askOnce(.reservations(customer: customer), timeout: .seconds(timeout))
        } catch {
            throw CommandFailure("could not reach the hub at \(hub): \(error)")
        }
        guard case .reservations(let reports) = reply else { return nil }
        try await node.store.noteReservationStages(
            of: customer,
            reports.map { report in
                (
                    report.id,
                    ReservationNote.Terms(
                        store: report.store, lines: report.lines.mapValues { Int64(clamping: $0) },
                        expiresAt: report.expiresAt), report.phase
                )
            })
        return reports.count
    }
}

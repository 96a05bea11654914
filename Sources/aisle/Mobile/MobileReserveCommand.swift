import AisleCore
import AisleEdge
import AisleNode
import AisleStore
import AisleSync
import ArgumentParser
import Foundation
import Logging

/// Click and collect from the phone: asks the hub to set units aside at a store.
struct MobileReserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve QTY units of SKU at a store, to collect there (click and collect).",
        discussion: """
            Asks the hub, which holds the store's stock rights: it sets the units aside (no till can sell \
            them) or says how many it can. The store's tills see the reservation to pick; the customer \
            collects it there before it expires, or its units go back on sale. The phone cannot write \
            the store's stock: it can only ask.
            """)

    @OptionGroup var phone: PhoneOptions
    @Argument(help: "The SKU.") var sku: String
    @Argument(help: "How many units (default 1).") var quantity: UInt64 = 1
    @Option(name: .long, help: "The store to collect at, such as berlin.") var store: String
    @Option(
        name: .long, parsing: .unconditional,
        help: "How long to hold the units: 90s, 30m, 2h (default 2h, at most 7 days).")
    var hold: String = "2h"
    @Option(name: .long, help: "The hub's sync URL.") var hub: String = "ws://127.0.0.1:8470/v1/sync"
    @Option(name: .long, parsing: .unconditional, help: "Give up after this many seconds.") var timeout: Int = 30

    func validate() throws {
        _ = try parseSKU(sku)
        _ = try parseStore(store)
        guard quantity > 0 else { throw ValidationError("the quantity must be at least 1") }
        _ = try Self.seconds(hold)
        try HubURL.validate(hub, timeout: timeout)
    }

    func run() async throws {
        let sku = try parseSKU(sku)
        let store = try parseStore(self.store)
        let seconds = try Self.seconds(hold)
        let (node, customer) = try phone.open()
        defer { try? node.store.close() }
        var logger = Logger(label: "aisle.mobile")
        logger.logLevel = .warning
        let link = HubLink(node: node, url: try HubURL.parse(hub).sync, logger: logger)
        let reply: SyncReply
        do {
            reply = try await link.askOnce(
                .reserve(store: store, customer: customer, lines: [sku: quantity], holdSeconds: seconds),
                timeout: .seconds(timeout))
        } catch {
            throw CommandFailure("could not reach the hub at \(hub): \(error)")
        }
        switch reply {
        case .reserved(let id, let expiresAt):
            let until = Date(timeIntervalSince1970: Double(expiresAt) / 1_000)
            print("reserved \(quantity) × \(sku) at \(store) for \(customer): reservation \(id)")
            print("collect it before \(until.formatted(.iso8601)) (its units go back on sale after that)")
            // The phone keeps it in the customer's own scope: `aisle mobile reservations` lists it, and
            // the next sync sends it to the customer's other devices.
            try await node.store.noteReservation(
                id, of: customer,
                ReservationNote.Terms(store: store, lines: [sku: Int64(quantity)], expiresAt: expiresAt))
        case .refused(let reason):
            throw CommandFailure("the hub refused the reservation: \(reason)")
        case .granted, .reservations:
            throw CommandFailure("the hub answered something else than a reservation: upgrade this app")
        }
    }

    /// The longest hold the hub grants: it would shorten a longer one to this.
    static let longestHold = ReplicaNode.longestHoldSeconds

    /// Seconds in "90s", "30m", "2h" or "1d", at most ``longestHold``.
    static func seconds(_ text: String) throws -> UInt64 {
        let units: [Character: UInt64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = UInt64(text.dropLast()), amount > 0 else {
            throw ValidationError("--hold takes a number and a unit, such as 90s, 30m, 2h or 1d; got '\(text)'")
        }
        guard amount <= longestHold / unit else {
            throw ValidationError("--hold is '\(text)': the hub holds units at most 7 days; give 7d (168h) or less")
        }
        return amount * unit
    }
}

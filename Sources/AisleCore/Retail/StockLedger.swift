/// One store's stock: a bounded counter per SKU, so no unit is ever sold twice.
///
/// Goods received and returns create selling rights at the device that books them; a sale spends
/// rights the selling device holds. Offline, a till sells only within its own rights; the
/// chain-wide level can never go below zero, whatever the partition.
public struct StockLedger: Lattice, CanonicalEncodable {
    /// The counter per SKU.
    public private(set) var counters: LatticeMap<SKU, BoundedCounter>

    public init() {
        counters = .bottom
    }

    init(counters: LatticeMap<SKU, BoundedCounter>) {
        self.counters = counters
    }

    public static var bottom: StockLedger { StockLedger() }

    public func joined(with other: StockLedger) -> StockLedger {
        StockLedger(counters: counters.joined(with: other.counters))
    }

    public mutating func join(_ other: StockLedger) {
        counters.join(other.counters)
    }

    /// Units of `sku` in the store, as far as this replica knows.
    public func level(of sku: SKU) -> Int64 {
        counters[sku].value
    }

    /// Units of `sku` that `replica` may sell without asking anyone.
    public func sellable(_ sku: SKU, at replica: ReplicaID) -> Int64 {
        counters[sku].rights(of: replica)
    }

    /// Books `units` of `sku` received (goods in, or a customer return) at `replica`; returns the delta.
    @discardableResult
    public mutating func receive(_ units: UInt64, of sku: SKU, at replica: ReplicaID) -> StockLedger {
        StockLedger(counters: counters.update(sku) { $0.increment(by: units, at: replica) })
    }

    /// Sells `units` of `sku` at `replica`; returns the delta.
    ///
    /// - Throws: ``StockError`` when `replica` holds fewer rights than `units`; nothing changes.
    @discardableResult
    public mutating func sell(_ units: UInt64, of sku: SKU, at replica: ReplicaID) throws(StockError) -> StockLedger {
        do {
            return StockLedger(
                counters: try counters.update(sku) { counter throws(InsufficientRights) in
                    try counter.decrement(by: units, at: replica)
                })
        } catch {
            throw StockError(sku: sku, shortfall: error)
        }
    }

    /// Hands rights to sell `units` of `sku` from `replica` to `recipient`; returns the delta.
    ///
    /// - Throws: ``StockError`` when `replica` holds fewer rights than `units`; nothing changes.
    @discardableResult
    public mutating func transferRights(_ units: UInt64, of sku: SKU, from replica: ReplicaID, to recipient: ReplicaID)
        throws(StockError) -> StockLedger
    {
        do {
            return StockLedger(
                counters: try counters.update(sku) { counter throws(InsufficientRights) in
                    try counter.transfer(units, from: replica, to: recipient)
                })
        } catch {
            throw StockError(sku: sku, shortfall: error)
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(counters)
    }
}

/// A sale or transfer refused because this device may not sell that many units.
public struct StockError: Error, Equatable, CustomStringConvertible {
    /// The SKU asked for.
    public let sku: SKU
    /// The rights shortfall behind the refusal.
    public let shortfall: InsufficientRights

    public var description: String {
        let sellable = max(0, shortfall.available)
        return "SKU \(sku): \(shortfall.total) left in store, \(sellable) sellable on \(shortfall.replica) "
            + "(asked for \(shortfall.requested)): reconnect to obtain rights, or sell from another till"
    }
}

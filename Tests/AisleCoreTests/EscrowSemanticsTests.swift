import AisleCore
import Testing

/// Stock and points under partition: what two offline devices can and cannot do.
@Suite("Stock and points under partition")
struct EscrowSemanticsTests {
    static let till1: ReplicaID = "till-1"
    static let till2: ReplicaID = "till-2"
    static let hub: ReplicaID = "hub"
    static let tv: SKU = "tv-55"

    @Test("two terminals selling the last unit offline: only the one holding its right can")
    func lastUnitSoldOnce() throws {
        var ledger = StockLedger()
        ledger.receive(1, of: Self.tv, at: Self.till1)
        var onTill1 = ledger
        var onTill2 = ledger
        try onTill1.sell(1, of: Self.tv, at: Self.till1)
        let refusal = #expect(throws: StockError.self) { try onTill2.sell(1, of: Self.tv, at: Self.till2) }
        #expect(refusal?.description.contains("1 left in store, 0 sellable on till-2") == true)
        let merged = onTill1.joined(with: onTill2)
        #expect(merged.level(of: Self.tv) == 0)
    }

    @Test("a till can sell after rights are handed to it, and never more than were handed")
    func transferredRightsAreSpendable() throws {
        var ledger = StockLedger()
        ledger.receive(5, of: Self.tv, at: Self.hub)
        try ledger.transferRights(2, of: Self.tv, from: Self.hub, to: Self.till1)
        var onTill = ledger
        try onTill.sell(2, of: Self.tv, at: Self.till1)
        #expect(throws: StockError.self) { try onTill.sell(1, of: Self.tv, at: Self.till1) }
        #expect(onTill.level(of: Self.tv) == 3)
        #expect(onTill.sellable(Self.tv, at: Self.hub) == 3)
    }

    @Test("redeeming points on two devices offline never spends more than the balance")
    func pointsNeverSpentTwice() throws {
        var account = LoyaltyAccount()
        account.earn(100, at: Self.till1)
        try account.transferRights(40, from: Self.till1, to: Self.till2)
        var onTill1 = account
        var onTill2 = account
        try onTill1.redeem(60, at: Self.till1)
        try onTill2.redeem(40, at: Self.till2)
        #expect(throws: LoyaltyError.self) { try onTill2.redeem(1, at: Self.till2) }
        let merged = onTill1.joined(with: onTill2)
        #expect(merged.balance == 0)
        #expect(merged.points.escrowViolation == nil)
    }

    @Test("a refused sale names the SKU, what is left and what this till may sell")
    func refusalIsActionable() throws {
        var ledger = StockLedger()
        ledger.receive(2, of: Self.tv, at: Self.till1)
        let error = #expect(throws: StockError.self) { try ledger.sell(3, of: Self.tv, at: Self.till1) }
        #expect(
            error?.description == "SKU tv-55: 2 left in store, 2 sellable on till-1 (asked for 3): "
                + "reconnect to obtain rights, or sell from another till")
    }
}

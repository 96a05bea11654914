public import AisleCore
public import AisleNode
public import Logging

/// Keeps an edge's rights in step with its store: when the store's counters change on the hub's
/// side (another till joined a SKU, so this till's share shrank) or the link comes up again after
/// an outage (points earned offline), hands what this till holds beyond its share to the hub.
/// Runs at most one pass at a time; news during a pass runs one more.
public actor RightsKeeper {
    let desk: RightsDesk
    let store: StoreID
    let changed: @Sendable (Scope) async -> Void
    let logger: Logger
    private var running = false
    private var again = false

    public init(desk: RightsDesk, store: StoreID, logger: Logger, changed: @escaping @Sendable (Scope) async -> Void) {
        self.desk = desk
        self.store = store
        self.logger = logger
        self.changed = changed
    }

    /// The store's or a points account's counters changed, or the hub link came up.
    public func countersChanged() async {
        guard !running else {
            again = true
            return
        }
        running = true
        defer { running = false }
        repeat {
            again = false
            do {
                for scope in try await desk.rebalance(try desk.held(in: store)) { await changed(scope) }
            } catch {
                logger.notice(
                    "rights: handing in spare rights failed", metadata: ["store": "\(store)", "reason": "\(error)"])
            }
        } while again
    }
}

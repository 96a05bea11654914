public import AisleCore

/// A network for simulations: messages between named nodes that can be dropped, duplicated,
/// delayed (and so reordered) and cut by partitions, all decided by a seeded random source.
public struct InMemoryNetwork<Message: Sendable>: Sendable {
    /// How badly the network behaves.
    public struct Faults: Sendable {
        /// Chance each message is lost.
        public var dropRate: Double
        /// Chance each message is delivered twice.
        public var duplicateRate: Double
        /// Delays are uniform in 0...maxDelay milliseconds; unequal delays reorder messages.
        public var maxDelay: UInt64

        public init(dropRate: Double, duplicateRate: Double, maxDelay: UInt64) {
            self.dropRate = dropRate
            self.duplicateRate = duplicateRate
            self.maxDelay = maxDelay
        }

        /// A perfect network: every message arrives once, at once, in order.
        public static var none: Faults { Faults(dropRate: 0, duplicateRate: 0, maxDelay: 0) }
    }

    /// One message on its way.
    public struct Envelope: Sendable {
        public let from: ReplicaID
        public let to: ReplicaID
        public let message: Message
        let deliverAt: UInt64
        let order: UInt64
    }

    public var faults: Faults
    private var inFlight: [Envelope] = []
    private var sent: UInt64 = 0
    private var side: [ReplicaID: Int] = [:]

    public init(faults: Faults) {
        self.faults = faults
    }

    /// Messages not yet delivered.
    public var inFlightCount: Int { inFlight.count }

    /// Whether `from` and `to` are on the same side of the current partition.
    public func connected(_ from: ReplicaID, _ to: ReplicaID) -> Bool {
        side[from, default: 0] == side[to, default: 0]
    }

    /// Splits the nodes: nodes with different side numbers cannot reach each other.
    public mutating func partition(_ sides: [ReplicaID: Int]) {
        side = sides
    }

    /// Heals every partition.
    public mutating func heal() {
        side = [:]
    }

    /// Sends `message`; faults and partitions apply now, at sending time.
    public mutating func send(
        _ message: Message, from: ReplicaID, to: ReplicaID, now: UInt64, random: inout SeededRandom
    ) {
        guard connected(from, to), !random.chance(faults.dropRate) else { return }
        let copies = random.chance(faults.duplicateRate) ? 2 : 1
        for _ in 0..<copies {
            let delay = faults.maxDelay == 0 ? 0 : random.next() % (faults.maxDelay + 1)
            sent += 1
            inFlight.append(Envelope(from: from, to: to, message: message, deliverAt: now + delay, order: sent))
        }
    }

    /// Removes and returns the messages due by `now`, in delivery order. A message whose sides were
    /// partitioned while it was in flight is lost.
    public mutating func deliver(upTo now: UInt64) -> [Envelope] {
        var due: [Envelope] = []
        var waiting: [Envelope] = []
        for envelope in inFlight {
            if envelope.deliverAt <= now { due.append(envelope) } else { waiting.append(envelope) }
        }
        inFlight = waiting
        return due.sorted { ($0.deliverAt, $0.order) < ($1.deliverAt, $1.order) }.filter { connected($0.from, $0.to) }
    }
}

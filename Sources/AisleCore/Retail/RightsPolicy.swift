/// How the rights of a bounded counter are spread between the devices that spend them (tills,
/// kiosks, phones) and the hub that banks them, so most decisions stay local and none oversells.
///
/// Every device computes the same numbers from the same counter, so the hub and a till agree on
/// a till's share without talking: the counter's value, less the hub's reserve, split evenly
/// between the devices that spend it. A device below half its share is topped up (the hub pushes
/// to connected devices, and a device asks when a sale would fail); a device holding more than its
/// share (goods received on it, or a share that shrank as another till joined) hands the excess to
/// the hub, which keeps its reserve for devices new to the counter and for reservations. Points are banked whole at
/// the hub: tills hand in what customers earn and ask for what they redeem.
///
/// Pure: the hub and the devices act on its answers (AisleNode), and the stock simulation runs it
/// over thousands of partitioned schedules.
public struct RightsPolicy: Hashable, Sendable {
    /// The part of the value the hub keeps for requests and reservations, in basis points.
    public var reserveBasisPoints: Int64
    /// A device holding less than this part of its share is topped up, in basis points.
    public var refillBelowBasisPoints: Int64
    /// A device holding more than this multiple of its share hands the excess in, in basis points;
    /// 0 hands in everything it holds.
    public var returnAboveBasisPoints: Int64

    public init(reserveBasisPoints: Int64, refillBelowBasisPoints: Int64, returnAboveBasisPoints: Int64) {
        precondition((0...10_000).contains(reserveBasisPoints), "the reserve is 0 to 10000 basis points")
        precondition(refillBelowBasisPoints >= 0 && returnAboveBasisPoints >= 0, "thresholds are not negative")
        self.reserveBasisPoints = reserveBasisPoints
        self.refillBelowBasisPoints = refillBelowBasisPoints
        self.returnAboveBasisPoints = returnAboveBasisPoints
    }

    /// Stock: the hub keeps a fifth back; a till is topped up below half its share and hands in
    /// what it holds beyond its share.
    public static let stock = RightsPolicy(
        reserveBasisPoints: 2_000, refillBelowBasisPoints: 5_000, returnAboveBasisPoints: 10_000)

    /// Points: banked whole at the hub; a till hands in what is earned on it and asks for what a
    /// customer redeems.
    public static let points = RightsPolicy(
        reserveBasisPoints: 10_000, refillBelowBasisPoints: 0, returnAboveBasisPoints: 0)

    /// The policy for a kind of counter: ``stock`` for stock, ``points`` for points accounts.
    public static func policy(for kind: ObjectKind) -> RightsPolicy {
        kind == .account ? .points : .stock
    }

    /// The devices that spend `counter`: every replica that holds or held rights in it but the
    /// hub, with `including` (a device new to it).
    public func spenders(of counter: BoundedCounter, hub: ReplicaID, including: [ReplicaID] = []) -> [ReplicaID] {
        var spenders = Set(counter.allRights.keys)
        spenders.formUnion(including)
        spenders.remove(hub)
        return spenders.sorted()
    }

    /// What each of `spenders` devices should hold of a counter whose value is `value`.
    public func share(of value: Int64, spenders: Int) -> Int64 {
        guard spenders > 0 else { return 0 }
        return Self.portion(of: value, basisPoints: 10_000 - reserveBasisPoints) / Int64(spenders)
    }

    /// `basisPoints` / 10,000 of `value`, rounded down (0 for a value of 0 or less), without overflow.
    private static func portion(of value: Int64, basisPoints: Int64) -> Int64 {
        guard value > 0 else { return 0 }
        return Int64(10_000).dividingFullWidth(value.multipliedFullWidth(by: basisPoints)).quotient
    }

    /// Rights `device` should ask the hub for now (0: it holds enough), given `spenders` devices.
    public func topUp(_ counter: BoundedCounter, for device: ReplicaID, spenders: Int) -> UInt64 {
        let share = share(of: counter.value, spenders: spenders)
        let held = max(0, counter.rights(of: device))
        guard held * 10_000 < share * refillBelowBasisPoints, share > held else { return 0 }
        return UInt64(share - held)
    }

    /// Rights `device` should hand in to `hub` now (0: none to spare), counting `device` among the
    /// counter's spenders.
    public func excess(_ counter: BoundedCounter, at device: ReplicaID, hub: ReplicaID) -> UInt64 {
        let share = share(of: counter.value, spenders: spenders(of: counter, hub: hub, including: [device]).count)
        let held = counter.rights(of: device)
        guard held > 0, held * 10_000 > share * returnAboveBasisPoints else { return 0 }
        return UInt64(held - min(held, share))
    }

    /// What `device` hands to `hub` when the hub recalls up to `asked` units (a reservation it
    /// cannot cover from its own rights): what the device holds beyond the refill floor of its
    /// share, at most `asked`. Keeping the floor keeps the till selling walk-in customers, and the
    /// hub does not top it up again at once (a device at its floor is not below it).
    public func spare(_ counter: BoundedCounter, at device: ReplicaID, hub: ReplicaID, asked: UInt64) -> UInt64 {
        let share = share(of: counter.value, spenders: spenders(of: counter, hub: hub, including: [device]).count)
        let held = max(0, counter.rights(of: device))
        return min(asked, UInt64(max(0, held - refillFloor(of: share))))
    }

    /// The least a device may hold of `share` without being topped up: `refillBelowBasisPoints` of
    /// it, rounded up.
    func refillFloor(of share: Int64) -> Int64 {
        guard share > 0 else { return 0 }
        let (quotient, remainder) = Int64(10_000).dividingFullWidth(
            share.multipliedFullWidth(by: refillBelowBasisPoints))
        return quotient + (remainder > 0 ? 1 : 0)
    }

    /// What the hub grants a device that asks for `units`: as much as it holds, at most that.
    public func grant(_ counter: BoundedCounter, asked units: UInt64, hub: ReplicaID) -> UInt64 {
        min(units, UInt64(max(0, counter.rights(of: hub))))
    }

    /// The part of the counter's value the hub keeps back from unasked top-ups: for requests
    /// (a sale a till could not cover) and reservations.
    public func reserve(of value: Int64) -> Int64 {
        Self.portion(of: value, basisPoints: reserveBasisPoints)
    }

    /// The top-ups the hub pushes, unasked, to `devices` (those connected now): the emptiest
    /// first, each up to its share, from what the hub holds beyond its reserve; a device holding
    /// nothing may be served from the reserve too, since it cannot sell at all (and once it holds
    /// rights, the devices holding more than their now smaller share hand the excess in). Devices
    /// that spend the counter but are not connected count for the shares, and get nothing now.
    public func topUps(_ counter: BoundedCounter, hub: ReplicaID, devices: [ReplicaID]) -> [(ReplicaID, UInt64)] {
        let spenders = spenders(of: counter, hub: hub, including: devices).count
        var held = UInt64(max(0, counter.rights(of: hub)))
        var free = UInt64(max(0, counter.rights(of: hub) - reserve(of: counter.value)))
        var grants: [(ReplicaID, UInt64)] = []
        let needy = devices.filter { $0 != hub }.map { ($0, counter.rights(of: $0)) }.sorted {
            ($0.1, $0.0) < ($1.1, $1.0)
        }
        for (device, rights) in needy {
            let wanted = topUp(counter, for: device, spenders: spenders)
            let granted = min(wanted, rights <= 0 ? held : free)
            guard granted > 0 else { continue }
            held -= granted
            free -= min(free, granted)
            grants.append((device, granted))
        }
        return grants
    }
}

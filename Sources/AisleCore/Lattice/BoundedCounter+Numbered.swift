/// A bounded counter's state in the compact form a replica stores on disk: every replica id is
/// replaced by a small number the store assigns (its own dictionary, never sent anywhere), and
/// the three entry counts share one byte when small.
///
/// Layout: a header byte `0ppp nntt` (increments `p` < 8, decrements `n` < 4, transfers `t` < 4)
/// or `0x80` followed by the three counts as varints; then the increments and the decrements as
/// (number, amount) and the transfers as (from number, to number, amount), all varints, each
/// group in ascending number order. A counter one replica added to is three bytes (header,
/// number, amount) where its canonical form spells the replica's name.
extension BoundedCounter {
    /// The numbered bytes of this counter, `number` giving each replica's number.
    public func numberedBytes(_ number: (ReplicaID) throws -> UInt64) rethrows -> [UInt8] {
        let (increments, decrements) = (counts.increments, counts.decrements)
        var encoder = CanonicalEncoder(
            reservingCapacity: 4 + 4 * (increments.count + decrements.count + transfers.count))
        if increments.count < 8, decrements.count < 4, transfers.count < 4 {
            encoder.append(byte: UInt8(increments.count << 4 | decrements.count << 2 | transfers.count))
        } else {
            encoder.append(byte: 0x80)
            encoder.append(UInt64(increments.count))
            encoder.append(UInt64(decrements.count))
            encoder.append(UInt64(transfers.count))
        }
        // Written without temporary arrays where nothing needs sorting (zero or one entry): a
        // stock row is saved for every stock delta applied (sealed_apply in docs/performance.md).
        func append(_ amounts: [ReplicaID: UInt64]) throws {
            if amounts.count <= 1 {
                for (replica, amount) in amounts {
                    encoder.append(try number(replica))
                    encoder.append(amount)
                }
                return
            }
            var entries: [(UInt64, UInt64)] = []
            entries.reserveCapacity(amounts.count)
            for (replica, amount) in amounts { entries.append((try number(replica), amount)) }
            for (replica, amount) in entries.sorted(by: { $0.0 < $1.0 }) {
                encoder.append(replica)
                encoder.append(amount)
            }
        }
        try append(increments)
        try append(decrements)
        guard !transfers.isEmpty else { return encoder.bytes }
        var moves: [(from: UInt64, to: UInt64, amount: UInt64)] = []
        moves.reserveCapacity(transfers.count)
        for (transfer, amount) in transfers {
            moves.append((try number(transfer.from), try number(transfer.to), amount))
        }
        for move in moves.sorted(by: { ($0.from, $0.to) < ($1.from, $1.to) }) {
            encoder.append(move.from)
            encoder.append(move.to)
            encoder.append(move.amount)
        }
        return encoder.bytes
    }

    /// The counter `bytes` (from ``numberedBytes(_:)``) hold, `replica` naming each number (nil
    /// for a number it does not know). Malformed bytes and unknown numbers are a
    /// ``CanonicalDecodingError``; errors `replica` throws pass through.
    public init(numberedBytes bytes: [UInt8], replica name: (UInt64) throws -> ReplicaID?) throws {
        var decoder = CanonicalDecoder(bytes)
        func replica(_ decoder: inout CanonicalDecoder) throws -> ReplicaID {
            let number = try decoder.readUInt64()
            guard let replica = try name(number) else { throw decoder.failure("no replica has number \(number)") }
            return replica
        }
        let header = try decoder.readByte()
        let counts: (increments: Int, decrements: Int, moves: Int)
        if header & 0x80 == 0 {
            counts = (Int(header >> 4), Int(header >> 2 & 3), Int(header & 3))
        } else {
            counts = (
                try decoder.readCount(elementSize: 2), try decoder.readCount(elementSize: 2),
                try decoder.readCount(elementSize: 3)
            )
        }
        let increments = try Self.entries(counts.increments, &decoder, replica)
        let decrements = try Self.entries(counts.decrements, &decoder, replica)
        let transfers = try Self.entries(counts.moves, &decoder) {
            Transfer(from: try replica(&$0), to: try replica(&$0))
        }
        try decoder.finish()
        self.init(counts: PNCounter(increments: increments, decrements: decrements), transfers: transfers)
    }

    /// `count` entries of a numbered map: each a key `key` reads, then an amount; no key twice.
    private static func entries<Key: Hashable>(
        _ count: Int, _ decoder: inout CanonicalDecoder, _ key: (inout CanonicalDecoder) throws -> Key
    ) throws -> [Key: UInt64] {
        var result: [Key: UInt64] = [:]
        result.reserveCapacity(count)
        for _ in 0..<count {
            let entry = try key(&decoder)
            guard result.updateValue(try decoder.readUInt64(), forKey: entry) == nil else {
                throw decoder.failure("duplicate replica in counter state")
            }
        }
        return result
    }
}

import AisleCore
import PropertyBased
import Testing

/// The numbered form a store keeps bounded counters in (replica ids as numbers).
@Suite("Numbered bounded counters")
struct NumberedCounterTests {
    /// A numbering of replica ids, as a store's `name_numbers` would hand out.
    final class Numbering {
        var numbers: [ReplicaID: UInt64] = [:]
        var names: [UInt64: ReplicaID] = [:]

        func number(_ replica: ReplicaID) -> UInt64 {
            if let known = numbers[replica] { return known }
            let number = UInt64(numbers.count + 1)
            numbers[replica] = number
            names[number] = replica
            return number
        }
    }

    @Test("any counter reads back equal from its numbered bytes, short header or long")
    func roundTrip() async throws {
        await propertyCheck(
            count: 300, input: Gen.uint64().array(of: 0...60),
            perform: { words in
                let numbering = Numbering()
                for counter in LatticeScript<BoundedCounter>.run(words, Self.operation) {
                    let bytes = counter.numberedBytes(numbering.number)
                    let back = try BoundedCounter(numberedBytes: bytes) { numbering.names[$0] }
                    #expect(back == counter)
                }
            })
        // Past the short header's limits: 9 replicas added to, 5 subtracted, 5 transfers.
        var wide = BoundedCounter()
        let replicas = (0..<9).map { ReplicaID(stringLiteral: "till-\($0)") }
        for replica in replicas { wide.increment(by: 10, at: replica) }
        for replica in replicas.prefix(5) {
            try? wide.decrement(by: 1, at: replica)
            try? wide.transfer(2, from: replica, to: replicas[8])
        }
        let numbering = Numbering()
        let bytes = wide.numberedBytes(numbering.number)
        #expect(bytes.first == 0x80)
        #expect(try BoundedCounter(numberedBytes: bytes) { numbering.names[$0] } == wide)
    }

    @Test("a counter one replica added to takes three bytes")
    func oneReplicaIsThreeBytes() {
        var counter = BoundedCounter()
        counter.increment(by: 10, at: "till-9")
        #expect(counter.numberedBytes { _ in 1 } == [0x10, 1, 10])
    }

    @Test("truncated, trailing, duplicated or unknown-number bytes are refused with a decoding error")
    func malformedRefused() throws {
        var counter = BoundedCounter()
        counter.increment(by: 300, at: "till-1")
        counter.increment(by: 5, at: "till-2")
        try counter.decrement(by: 1, at: "till-1")
        try counter.transfer(3, from: "till-2", to: "till-1")
        let numbering = Numbering()
        let bytes = counter.numberedBytes(numbering.number)
        let names: (UInt64) -> ReplicaID? = { numbering.names[$0] }
        for length in 0..<bytes.count {
            #expect(throws: CanonicalDecodingError.self) {
                try BoundedCounter(numberedBytes: Array(bytes[..<length]), replica: names)
            }
        }
        #expect(throws: CanonicalDecodingError.self) { try BoundedCounter(numberedBytes: bytes + [0], replica: names) }
        #expect(throws: CanonicalDecodingError.self) {
            try BoundedCounter(numberedBytes: [0x20, 1, 5, 1, 6], replica: names)  // replica 1 twice
        }
        #expect(throws: CanonicalDecodingError.self) {
            try BoundedCounter(numberedBytes: [0x10, 42, 5], replica: names)  // no replica 42
        }
    }

    private static func operation(_ word: UInt64, _ state: inout BoundedCounter, _ replica: ReplicaID, _: HLCTimestamp)
        -> BoundedCounter?
    {
        let amount = Pick.amount(word >> 2, upTo: 200)
        switch word % 3 {
        case 0: return state.increment(by: amount, at: replica)
        case 1: return try? state.decrement(by: amount, at: replica)
        default: return try? state.transfer(amount, from: replica, to: Pick.other(word >> 5))
        }
    }
}

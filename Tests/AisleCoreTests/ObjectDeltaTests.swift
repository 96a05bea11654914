import AisleCore
import AisleTesting
import PropertyBased
import Testing

@Suite("Object deltas: the encoding shared by disk and wire")
struct ObjectDeltaTests {
    /// A state with something in every kind of scope and object, from a random script.
    static func richState(_ words: [UInt64]) -> RetailState {
        var state = RetailLawTests.pricedState()
        let stamp = HLCTimestamp(physical: 5, counter: 0, replica: "hq")
        try! state.updateCatalog { catalog throws(CatalogError) in
            catalog.setProduct("sku-1", Product(name: "Milk", category: "dairy"), at: stamp)
            catalog.setStore(
                "store-1",
                StoreInfo(name: "Mitte", latitudeMicrodegrees: 52_520_008, longitudeMicrodegrees: 13_404_954), at: stamp
            )
            catalog.setHours("store-1", try! OpeningHours(parsing: "Mo-Fr 08:00-20:00; Sa 09:00-14:00"), at: stamp)
            catalog.revoke(Array(repeating: 0xAB, count: 16), Revocation(signature: Array(repeating: 7, count: 64)))
            catalog.renew("till-1", Renewal(notAfter: 9, certificate: Array(repeating: 3, count: 40)))
            return try catalog.setPromotion("p", .pointsMultiplier(nil, multiplier: 2), at: stamp)
        }
        let states = LatticeScript<RetailState>.run(words, start: state) { word, state, replica, stamp in
            switch word % 4 {
            case 0:
                return try? state.updateCart("c", in: Pick.home(word >> 3)) { cart throws(CartError) in
                    try cart.add(Pick.sku(word >> 5), quantity: 2, at: replica)
                }
            case 1:
                return try? state.checkOut(
                    "c", in: Pick.home(word >> 3), as: OrderID(stringLiteral: "o-\(stamp.packed)"), store: "store-1",
                    at: stamp)
            case 2:
                return state.updateStock("store-1") {
                    $0.receive(Pick.amount(word >> 3), of: Pick.sku(word >> 6), at: replica)
                }
            default: return state.updateLoyalty("cust-1") { $0.earn(Pick.amount(word >> 3), at: replica) }
            }
        }
        return states.reduce(RetailState.bottom) { $0.joined(with: $1) }
    }

    @Test("every scope's objects survive encode and decode, and rebuild the same state")
    func roundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint64().array(of: 0...30)) { words in
            let state = Self.richState(words)
            var rebuilt = RetailState()
            for delta in state.deltasByScope {
                let decoded = try? ObjectDelta(encoded: delta.encoded)
                #expect(decoded == delta)
                if let decoded { rebuilt.join(decoded) }
            }
            #expect(rebuilt.digest == state.digest)
        }
    }

    @Test("a delta's run form (no scope, its origin named in one byte) decodes to the same delta, and is smaller")
    func runFormRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint64().array(of: 1...30)) { words in
            let state = Self.richState(words)
            let origin = LatticeScript<RetailState>.replicaIDs[Int(words[0] % 3)]
            for delta in state.deltasByScope {
                let carried = delta.encodedInRun(origin: origin)
                #expect((try? ObjectDelta(inRun: carried, scope: delta.scope, origin: origin)) == delta)
                #expect(carried.count < delta.encoded.count)
                // The full form's header is its marker (3 bytes), version (1) and scope (1 + text):
                // shorter than the rest of it, the run form named the origin, and read as
                // another origin's it is another delta.
                if carried.count < delta.encoded.count - 5 - delta.scope.description.utf8.count {
                    #expect((try? ObjectDelta(inRun: carried, scope: delta.scope, origin: "someone-else")) != delta)
                }
            }
        }
    }

    @Test("a phone's cart line in run form names the phone in one byte and the scope not at all")
    func runFormLeavesOutTheOriginsName() throws {
        var state = RetailState()
        _ = try state.updateCart("c1", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("sku-0001", quantity: 1, at: "phone-anna")
        }
        let delta = try #require(state.deltasByScope.first)
        let carried = delta.encodedInRun(origin: "phone-anna")
        func names(_ bytes: [UInt8]) -> Bool { bytes.indices.contains { bytes[$0...].starts(with: "phone-anna".utf8) } }
        #expect(names(delta.encoded))
        #expect(!names(carried))
        #expect(try ObjectDelta(inRun: carried, scope: delta.scope, origin: "phone-anna") == delta)
    }

    @Test(
        "a scope's objects in parts: each part a delta within its budget, together the scope, one part the delta's own bytes"
    )
    func partsCoverTheScope() async {
        await propertyCheck(count: 200, input: Gen.uint64().array(of: 0...30)) { words in
            let state = Self.richState(words)
            let budget = 1 + Int((words.last ?? 0) % 400)
            for delta in state.deltasByScope {
                var parts = ObjectDeltaParts(scope: delta.scope, partBytes: budget)
                // In no particular order, as a store reads them.
                var encoded = delta.objects.shuffled().compactMap { parts.append($0.value, at: $0.key) }
                encoded += parts.finish().map { [$0] } ?? []
                var joined: [ObjectKey: ObjectValue] = [:]
                for part in encoded {
                    guard let decoded = try? ObjectDelta(encoded: part) else {
                        Issue.record("a part does not decode")
                        return
                    }
                    #expect(decoded.objects.count == 1 || part.count <= budget + 64)
                    for (key, value) in decoded.objects {
                        #expect(joined.updateValue(value, forKey: key) == nil, "an object in two parts")
                    }
                }
                #expect(joined == delta.objects)
                if encoded.count == 1 { #expect(encoded[0] == delta.encoded) }
            }
        }
    }

    @Test("an empty scope's snapshot is one empty part")
    func emptyScopeIsOnePart() throws {
        var parts = ObjectDeltaParts(scope: .store("berlin"), partBytes: 100)
        let part = parts.finish()
        #expect(part.flatMap { try? ObjectDelta(encoded: $0) } == ObjectDelta(scope: .store("berlin"), objects: [:]))
        #expect(parts.finish() == nil)
    }

    @Test("a mutation's delta splits into one delta per scope it touched")
    func splitsByScope() throws {
        var state = RetailLawTests.pricedState()
        var delta = try state.updateCart("c", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("sku-1", quantity: 1, at: "phone")
        }
        delta.join(state.updateStock("s") { $0.receive(1, of: "sku-1", at: "till") })
        #expect(delta.deltasByScope.map(\.scope) == [.customer("anna"), .store("s")])
    }

    @Test("every truncation of an encoded delta is refused with a typed error")
    func truncationsRefused() {
        let bytes = Self.richState(Array(1...25)).deltasByScope.max { $0.encoded.count < $1.encoded.count }!.encoded
        for length in 0..<bytes.count {
            #expect(throws: DeltaDecodingError.self) { try ObjectDelta(encoded: Array(bytes.prefix(length))) }
        }
    }

    @Test("flipping any byte never crashes: it is refused, or decodes to a valid delta")
    func corruptionNeverCrashes() {
        let bytes = Self.richState(Array(1...25)).deltasByScope.max { $0.encoded.count < $1.encoded.count }!.encoded
        var refused = 0
        for index in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupt = bytes
                corrupt[index] ^= flip
                if (try? ObjectDelta(encoded: corrupt)) == nil { refused += 1 }
            }
        }
        #expect(refused > bytes.count, "most corruptions should be refused")
    }

    @Test("a delta from a newer format version is refused, naming the upgrade")
    func newerVersionRefused() {
        var encoder = CanonicalEncoder()
        encoder.append(bytes: [0xA1, 0x5E])
        encoder.append(UInt64(2))
        #expect(throws: DeltaDecodingError.unsupportedVersion(2)) { try ObjectDelta(encoded: encoder.bytes) }
        #expect(DeltaDecodingError.unsupportedVersion(2).description.contains("upgrade"))
    }

    @Test("a revocation's id is a certificate id in lowercase hex, and maps back to the id's bytes")
    func revocationIDs() throws {
        let certificate: [UInt8] = [0x00, 0x0F, 0xA0, 0xFF] + Array(repeating: 0x5C, count: 12)
        let id = Revocation.catalogID(of: certificate)
        #expect(id.rawValue == "000fa0ff" + String(repeating: "5c", count: 12))
        #expect(Revocation.certificate(of: id) == certificate)
        _ = try ObjectKey(scope: .catalog, kind: .revocation, id: id.rawValue)
        for bad in ["sku-1", id.rawValue.uppercased(), String(id.rawValue.dropLast(2)), id.rawValue + "00"] {
            #expect(throws: ObjectError.self) { try ObjectKey(scope: .catalog, kind: .revocation, id: bad) }
        }
        #expect(throws: ObjectError.kindOutsideScope(.revocation, .store("berlin"))) {
            try ObjectKey(scope: .store("berlin"), kind: .revocation, id: id.rawValue)
        }
    }

    @Test(
        "keys that differ only in their scope hash apart: every points account (id empty), and one SKU's stock in many stores"
    )
    func keysOfOneIDInManyScopesHashApart() throws {
        let accounts = try (0..<1_000).map { ObjectKey.account(of: try CustomerID("c\($0)")) }
        let stock = try (0..<1_000).map { ObjectKey.stock("milk", at: try StoreID("store-\($0)")) }
        // Hashing the kind and id only put every account in one bucket chain: a hub's or till's
        // memo of ten thousand accounts made each write four times slower (docs/performance.md).
        #expect(Set(accounts.map(\.hashValue)).count > 990)
        #expect(Set(stock.map(\.hashValue)).count > 990)
    }

    @Test("an object of the wrong kind for its scope is refused")
    func kindOutsideScopeRefused() {
        #expect(throws: ObjectError.kindOutsideScope(.stock, .catalog)) {
            try ObjectKey(scope: .catalog, kind: .stock, id: "sku-1")
        }
        var encoder = CanonicalEncoder()
        encoder.append(bytes: [0xA1, 0x5E])
        encoder.append(UInt64(1))
        encoder.append("catalog")
        encoder.append(UInt64(1))
        encoder.append(UInt64(ObjectKind.stock.rawValue))
        encoder.append("sku-1")
        encoder.append(BoundedCounter())
        #expect(throws: DeltaDecodingError.self) { try ObjectDelta(encoded: encoder.bytes) }
    }
}

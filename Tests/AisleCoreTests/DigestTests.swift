import AisleCore
import Testing

@Suite("Canonical digest")
struct DigestTests {
    @Test(
        "SHA-256 matches the FIPS 180-4 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func sha256Vectors(message: String, expected: String) {
        #expect(StateDigest(of: Array(message.utf8)).hex == expected)
    }

    @Test("SHA-256 of a million 'a's matches the long test vector")
    func sha256Long() {
        #expect(
            StateDigest(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("the same state reached in different orders has the same digest")
    func orderIndependent() throws {
        var a = RetailState()
        var b = RetailState()
        let stamp = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        let one = try a.updateCart("c", in: .store("s")) { cart throws(CartError) in
            try cart.add("x", quantity: 1, at: "phone")
        }
        let two = a.updateStock("s") { $0.receive(3, of: "x", at: "till") }
        let three = try a.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice("x", 5, at: stamp) }
        for delta in [three, one, two, one] { b.join(delta) }
        #expect(a.digest == b.digest)
        #expect(a.canonicalBytes == b.canonicalBytes)
    }

    @Test("different states have different digests")
    func distinguishes() {
        var a = StockLedger()
        var b = StockLedger()
        a.receive(1, of: "x", at: "till")
        b.receive(2, of: "x", at: "till")
        #expect(a.digest != b.digest)
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test(
        "valid identifiers are accepted",
        arguments: ["a", "sku-1234", "store:berlin.mitte_2", String(repeating: "x", count: 64)])
    func accepted(text: String) throws {
        #expect(try SKU(text).rawValue == text)
    }

    @Test(
        "invalid identifiers are refused with the kind and the problem named",
        arguments: ["", "has space", "ümlaut", String(repeating: "x", count: 65)])
    func refused(text: String) {
        let error = #expect(throws: IdentifierError.self) { try SKU(text) }
        #expect(error?.description.hasPrefix("SKU ") == true)
    }
}

@Suite("Canonical strings")
struct CanonicalStringTests {
    static func decoded(_ bytes: [UInt8]) throws(CanonicalDecodingError) -> String {
        var encoder = CanonicalEncoder()
        encoder.append(bytes: bytes)
        var decoder = CanonicalDecoder(encoder.bytes)
        return try decoder.readString()
    }

    @Test("ASCII and other valid UTF-8 decode as written; invalid UTF-8 is refused, not repaired")
    func stringsAreValidatedUTF8() throws {
        #expect(try Self.decoded(Array("sku-42".utf8)) == "sku-42")
        #expect(try Self.decoded(Array("Brötchen ×2".utf8)) == "Brötchen ×2")
        #expect(try Self.decoded([]) == "")
        // A lone continuation byte, a truncated two-byte sequence, an overlong encoding of "/".
        for bad: [UInt8] in [[0x61, 0x80], [0x61, 0xC3], [0xC0, 0xAF]] {
            #expect(throws: CanonicalDecodingError.self) { try Self.decoded(bad) }
        }
    }
}

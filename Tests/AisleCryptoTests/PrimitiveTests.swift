import AisleCore
@_spi(Testing) import AisleCrypto
import Testing

extension Array where Element == UInt8 {
    /// Test vectors are written in hex.
    init(hexVector: String) { self = [UInt8](hex: hexVector)! }
    var hex: String { hexString }
}

@Suite("libsodium wrappers: known answers")
struct KnownAnswerTests {
    @Test("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha A.3.1")
    func xchachaVector() throws {
        let key = try AEADKey(SecretBytes(copying: Array(0x80...0x9f)))
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let sealed = key.sealForTesting(
            plaintext, nonce: Array(0x40...0x57), associatedData: [UInt8](hexVector: "50515253c0c1c2c3c4c5c6c7"))
        #expect(
            sealed.hex
                == "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
                + "c0875924c1c7987947deafd8780acf49")
    }

    @Test("Ed25519 matches RFC 8032 test 1")
    func ed25519Vector() throws {
        let pair = try SigningKeyPair(
            seed: SecretBytes(
                copying: [UInt8](hexVector: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        )
        #expect(pair.publicKey.bytes.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(
            pair.sign([]).hex
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        #expect(pair.seed.copyBytes().hex == "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    }

    @Test("BLAKE2b-256 matches Python's hashlib, plain and keyed")
    func blake2bVectors() {
        #expect(
            BLAKE2b.hash(Array("abc".utf8)).hex == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        #expect(
            BLAKE2b.hash(Array("abc".utf8), key: SecretBytes(copying: Array(0..<32))).hex
                == "d63a32d3e44738d7907f964316c241adaba0abfeabc32349677578a15a203f7f")
    }

    @Test("crypto_kdf subkeys follow id and context")
    func kdfVector() throws {
        let master = try MasterKey(SecretBytes(copying: Array(0..<32)))
        #expect(
            try master.deriveKey(id: 7, context: "aisle-sc").copyBytes().hex
                == "4efbe0385b4d9780f94c6b00aa9fa4123e55071257de7ac177ee8316faf11332")
        #expect(try master.deriveKey(id: 8, context: "aisle-sc") != master.deriveKey(id: 7, context: "aisle-sc"))
        #expect(throws: CryptoError.self) { try master.deriveKey(id: 1, context: "too-long-context") }
    }

    @Test("Argon2id derives the known key for a password and salt")
    func argon2idVector() throws {
        let key = try PasswordKey.derive(password: Array("correct horse battery staple".utf8), salt: Array(0..<16))
        #expect(key.copyBytes().hex == "c05ce4c4dd7e0e45ee6011cc59d068ade47df1b01fc0cf9cd4678bdf68a5b7b0")
    }
}

@Suite("libsodium wrappers: behaviour")
struct CryptoBehaviourTests {
    @Test("a sealed message opens with its key and associated data, and with nothing else")
    func aeadRoundTripAndRefusals() throws {
        let key = AEADKey()
        let sealed = key.seal(Array("cart".utf8), associatedData: Array("header".utf8))
        #expect(try key.open(sealed, associatedData: Array("header".utf8)) == Array("cart".utf8))
        #expect(throws: CryptoError.authenticationFailed) { try key.open(sealed, associatedData: Array("other".utf8)) }
        #expect(throws: CryptoError.authenticationFailed) {
            try AEADKey().open(sealed, associatedData: Array("header".utf8))
        }
        for index in sealed.ciphertext.indices {
            var bytes = sealed.ciphertext
            bytes[index] ^= 1
            #expect(throws: CryptoError.authenticationFailed) {
                try key.open(
                    SealedMessage(nonce: sealed.nonce, ciphertext: bytes), associatedData: Array("header".utf8))
            }
        }
    }

    @Test("1,000,000 seals never reuse a nonce")
    func noncesAreUnique() {
        let key = AEADKey()
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(1_000_000)
        for _ in 0..<1_000_000 { seen.insert(key.seal([1]).nonce) }
        #expect(seen.count == 1_000_000)
    }

    @Test("a signature verifies only for its key and message")
    func signatures() throws {
        let pair = SigningKeyPair()
        let signature = pair.sign(Array("batch".utf8))
        try pair.publicKey.verify(signature, for: Array("batch".utf8))
        #expect(throws: CryptoError.badSignature) { try pair.publicKey.verify(signature, for: Array("batcH".utf8)) }
        #expect(throws: CryptoError.badSignature) {
            try SigningKeyPair().publicKey.verify(signature, for: Array("batch".utf8))
        }
    }

    @Test("a sealed box opens only for its recipient")
    func sealedBoxes() throws {
        let device = BoxKeyPair()
        let sealed = device.publicKey.seal(Array("scope keys".utf8))
        #expect(try device.open(sealed) == Array("scope keys".utf8))
        #expect(throws: CryptoError.authenticationFailed) { try BoxKeyPair().open(sealed) }
        let restored = try BoxKeyPair(secretKey: device.secretKey)
        #expect(restored.publicKey == device.publicKey)
    }

    @Test("key exchange gives each side the other's transmit key as its receive key")
    func keyExchange() throws {
        let client = SessionKeyPair()
        let server = SessionKeyPair()
        let clientKeys = try client.clientKeys(serverPublicKey: server.publicKey)
        let serverKeys = try server.serverKeys(clientPublicKey: client.publicKey)
        #expect(clientKeys.transmit == serverKeys.receive)
        #expect(clientKeys.receive == serverKeys.transmit)
        #expect(clientKeys.transmit != clientKeys.receive)
    }

    @Test("a secret stream delivers frames in order and refuses replayed, reordered and trailing frames")
    func secretStream() throws {
        let key = SecretBytes(random: 32)
        let sender = try SecretStreamSender(key: key)
        let frames = [sender.seal([1]), sender.seal([2]), sender.seal([3], final: true)]
        let receiver = try SecretStreamReceiver(key: key, header: sender.header)
        #expect(try receiver.open(frames[0]) == [1])
        #expect(throws: CryptoError.authenticationFailed) { try receiver.open(frames[0]) }
        let reordered = try SecretStreamReceiver(key: key, header: sender.header)
        #expect(throws: CryptoError.authenticationFailed) { try reordered.open(frames[1]) }
        #expect(try receiver.open(frames[1]) == [2])
        #expect(try receiver.open(frames[2]) == [3])
        #expect(receiver.isFinished)
        #expect(throws: CryptoError.streamNotFinished) { try receiver.open(frames[2]) }
    }

    @Test("secrets never show in descriptions")
    func secretsRedacted() {
        let secret = SecretBytes(copying: Array("hunter2-hunter2-hunter2-hunter2!".utf8))
        #expect(secret.description == "SecretBytes(32 bytes, redacted)")
        #expect(!"\(AEADKey())".contains("0x"))
    }
}

import AisleCore
import AisleCrypto
import Benchmark
import BenchmarkSupport
import CSodiumBench

// Figures for issue [3/6]: sealing (encrypt + sign) and opening (verify + decrypt + decode +
// authorize) a batch of 256 stock deltas as an Aisle envelope, against the raw libsodium calls
// (XChaCha20-Poly1305 encrypt, Ed25519 sign / verify, decrypt) on the same payload bytes.

let admin = SigningKeyPair()
let till = SigningKeyPair()
let tillBox = BoxKeyPair()
let certificate = Certificate(
    signing: CertificateBody(
        tenant: "acme", device: "till-1", role: .pos, scopes: [.exactly(.store("berlin"))], signingKey: till.publicKey,
        boxKey: tillBox.publicKey, notAfter: .max),
    with: admin)
let key = AEADKey()

/// 256 one-object stock deltas, as a till's batch would carry them.
let deltas: [ObjectDelta] = (0..<256).map { index in
    var counter = BoundedCounter()
    counter.increment(by: UInt64(index + 1), at: "till-1")
    return ObjectDelta(
        scope: .store("berlin"),
        objects: [try! ObjectKey(scope: .store("berlin"), kind: .stock, id: "sku-\(index)"): .stock(counter)])
}
let header = EnvelopeHeader(
    tenant: "acme", scope: .store("berlin"), origin: "till-1", seq: 1, epoch: 1, hlc: 1, certificate: certificate.id)
let payload: [UInt8] = {  // the same payload bytes the envelope seals
    var encoder = CanonicalEncoder()
    encoder.append(UInt64(deltas.count))
    for delta in deltas { encoder.append(bytes: delta.encoded) }
    return encoder.bytes
}()
let trust: TrustStore = {
    var trust = TrustStore(tenant: "acme", admin: admin.publicKey)
    try! trust.add(certificate)
    trust.hold(key, for: .store("berlin"), epoch: 1)
    return trust
}()
let encodedDeltas = deltas.map(\.encoded)
let sealed = Envelope(header: header, encodedDeltas: encodedDeltas, key: key, author: till)

/// The raw path's key material, as plain buffers.
let rawKey = key.secret.copyBytes()
let rawSigningKey: [UInt8] = {
    var publicKey = [UInt8](repeating: 0, count: 32)
    var secretKey = [UInt8](repeating: 0, count: 64)
    let seed = till.seed.copyBytes()
    crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
    return secretKey
}()
let headerBytes = header.canonicalBytes

func rawSeal() {
    var nonce = [UInt8](repeating: 0, count: 24)
    randombytes_buf(&nonce, 24)
    var ciphertext = [UInt8](repeating: 0, count: payload.count + 16)
    var length: UInt64 = 0
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        &ciphertext, &length, payload, UInt64(payload.count), headerBytes, UInt64(headerBytes.count), nil, nonce, rawKey
    )
    var signature = [UInt8](repeating: 0, count: 64)
    let signed = Envelope.signedBytes(headerBytes: headerBytes, nonce: nonce, ciphertext: ciphertext)
    crypto_sign_detached(&signature, nil, signed, UInt64(signed.count), rawSigningKey)
    blackHole(signature)
}

func rawOpen() {
    let signed = Envelope.signedBytes(headerBytes: headerBytes, nonce: sealed.nonce, ciphertext: sealed.ciphertext)
    precondition(crypto_sign_verify_detached(sealed.signature, signed, UInt64(signed.count), till.publicKey.bytes) == 0)
    var plaintext = [UInt8](repeating: 0, count: sealed.ciphertext.count - 16)
    var length: UInt64 = 0
    precondition(
        crypto_aead_xchacha20poly1305_ietf_decrypt(
            &plaintext, &length, nil, sealed.ciphertext, UInt64(sealed.ciphertext.count), headerBytes,
            UInt64(headerBytes.count), sealed.nonce, rawKey) == 0)
    blackHole(plaintext)
}

let benchmarks: @Sendable () -> Void = {
    let paired = Benchmark.Configuration(
        metrics: [aisleNanoseconds, rawNanoseconds], warmupIterations: 1, maxDuration: .seconds(4), maxIterations: 20)

    Benchmark("seal_batch", configuration: paired) { benchmark in
        await interleave(benchmark, rounds: 500) {
            blackHole(Envelope(header: header, encodedDeltas: encodedDeltas, key: key, author: till))
        } raw: {
            rawSeal()
        }
    }
    Benchmark("open_batch", configuration: paired) { benchmark in
        await interleave(benchmark, rounds: 500) {
            blackHole(try! trust.openPayload(sealed, now: 0))
        } raw: {
            rawOpen()
        }
    }
    // The whole pipeline: open_batch plus decoding and authorizing all 256 deltas (no raw equivalent).
    Benchmark("open_batch_full", configuration: .init(metrics: [.throughput, .wallClock], maxDuration: .seconds(3))) {
        benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! trust.open(sealed, now: 0)) }
    }
}

import AisleCore
import AisleCrypto
import AisleStore
import AisleTesting
import Foundation
import Testing

/// Runs the built `aisle` executable as a child process, as a user would.
@Suite("aisle command")
struct AisleCommandTests {
    /// The `aisle` binary SwiftPM built next to this test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("aisle")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(executable, arguments)
    }

    @Test("aisle demo --in-memory plays the cart story and ends with every replica converged")
    func demoConverges() throws {
        let (status, output) = try Self.run(["demo", "--in-memory"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("converged: all three hold state"))
        #expect(output.contains("edits after checkout, not applied: milk-1l"))
        #expect(!output.contains("NOT converged"))
    }

    @Test(
        "aisle demo publishes the sample catalog, runs the story with real processes, ends converged and finds stock near Paris"
    )
    func processDemoConverges() throws {
        let (status, output) = try Self.run(["demo"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("published 623 catalog objects as one change"), "\(output)")
        // 2 × 1.99 with 20 % off, and 3.49 with 0.50 off.
        #expect(output.contains("till-berlin-1 sees Anna's cart: oat-milk × 2, sourdough × 1; total 6.17"), "\(output)")
        #expect(output.contains("oat-milk  × 2  3.18"), "the phone prices its cart: \(output)")
        #expect(!output.contains("no price"), "\(output)")
        #expect(output.contains("till-berlin-2 sees 15 oat-milk through its peer"), "\(output)")
        #expect(output.contains("converged: the phone and the till hold the same cart"), "\(output)")
        #expect(output.contains("till-paris-1: oat-milk 7 in paris"), "\(output)")
        let berlin = output.split(separator: "\n").first { $0.contains("Aisle Berlin Alexanderplatz (berlin)") }
        #expect(berlin?.contains("878.1 km  15") == true, "\(output)")
        #expect(output.contains("nearest with stock: Aisle Paris Rivoli, 0.1 km, 7 in stock"), "\(output)")
        // Checkout sells the stock and earns points; Paris redeems them; click and collect in Paris.
        #expect(output.contains("order order-anna-1: 8.26, 15 points"), "\(output)")
        #expect(output.contains("Berlin oat-milk now 13"), "\(output)")
        #expect(output.contains("balance now 0 points"), "\(output)")
        #expect(output.contains("a second redemption is refused (409)"), "\(output)")
        #expect(output.contains("reserved 1 × oat-milk at paris for anna"), "\(output)")
        #expect(output.contains("collect: collected, held by till-paris-1"), "\(output)")
        #expect(output.contains("Paris oat-milk now 6"), "\(output)")
    }

    @Test("aisle --version prints the version")
    func version() throws {
        let (status, output) = try Self.run(["--version"])
        #expect(status == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test("an unknown subcommand fails with usage help")
    func unknownSubcommand() throws {
        let (status, output) = try Self.run(["frobnicate"])
        #expect(status != 0)
        #expect(output.contains("USAGE") || output.contains("Usage"))
    }
}

@Suite("aisle admin")
struct AdminCommandTests {
    @Test("aisle admin backup and restore produce a replica with the same digest")
    func backupAndRestore() async throws {
        let directory = try TemporaryDirectory(prefix: "admin")
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("edge.db")
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        try await store.receiveStock(7, of: "milk", in: "berlin")
        try await store.earnPoints(10, for: "anna")
        let digest = try store.digest()

        let backup = try AisleCommandTests.run(["admin", "backup", "--db", path, "--to", directory.file("backup.db")])
        #expect(backup.status == 0, "\(backup.output)")
        let restore = try AisleCommandTests.run([
            "admin", "restore", "--from", directory.file("backup.db"), "--db", directory.file("restored.db"),
        ])
        #expect(restore.status == 0, "\(restore.output)")
        #expect(restore.output.contains("integrity ok, state \(digest.short)"))
        let restored = try ReplicaStore(StoreConfiguration(path: directory.file("restored.db")), replica: "till-1")
        #expect(try restored.digest() == digest)
        try store.close()

        let again = try AisleCommandTests.run(["admin", "backup", "--db", path, "--to", directory.file("backup.db")])
        #expect(again.status != 0)
        #expect(again.output.contains("already exists"))
    }

    @Test("aisle admin inspect shows the owner, integrity and each scope's version vector")
    func inspect() async throws {
        let directory = try TemporaryDirectory(prefix: "admin")
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("edge.db")
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        try await store.receiveStock(1, of: "milk", in: "berlin")
        try store.close()
        let (status, output) = try AisleCommandTests.run(["admin", "inspect", "--db", path])
        #expect(status == 0)
        #expect(output.contains("replica    till-1"))
        #expect(output.contains("integrity  ok"))
        #expect(output.contains("scope      store:berlin  applied [till-1:1]"))
    }
}

@Suite("aisle admin init, edge init, mobile init, admin enroll")
struct EnrollmentCommandTests {
    @Test("a tenant enrols a till and a phone; each opens its own bundle; keys are owner-only files")
    func enrolTillAndPhone() throws {
        let directory = try TemporaryDirectory(prefix: "enrol")
        defer { withExtendedLifetime(directory) {} }
        let hq = directory.file("hq")
        let edge = directory.file("edge")
        let phone = directory.file("phone")
        let hub = directory.file("hub")
        for arguments in [
            ["admin", "init", "--dir", hq, "--tenant", "acme"],
            ["edge", "init", "--dir", edge, "--tenant", "acme", "--device", "till-1", "--store", "berlin-1"],
            ["mobile", "init", "--dir", phone, "--tenant", "acme", "--device", "phone-anna", "--customer", "anna"],
            ["admin", "enroll", "--dir", hq, "--request", edge + "/request.json"],
            ["admin", "enroll", "--dir", hq, "--request", phone + "/request.json"],
            ["hub", "init", "--dir", hub, "--tenant", "acme", "--device", "hub-1"],
            ["admin", "enroll", "--dir", hq, "--request", hub + "/request.json"],
        ] {
            let result = try AisleCommandTests.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.output)")
        }
        for key in [hq + "/admin.key", edge + "/device.key", phone + "/device.key"] {
            let permissions = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
            #expect(permissions == 0o600, "\(key)")
        }
        let tenant = try JSONDecoder().decode(
            [String: String].self, from: Data(contentsOf: URL(fileURLWithPath: hq + "/tenant.json")))
        let admin = try SigningPublicKey([UInt8](hex: tenant["adminPublicKey"]!)!)
        var trust = TrustStore(tenant: "acme", admin: admin)
        for device in [edge, phone, hub] {
            let certificate = try Certificate(
                canonicalBytes: Array(Data(contentsOf: URL(fileURLWithPath: device + "/device.cert"))))
            try trust.add(certificate)
            let secrets = try DeviceSecrets(
                KeyFile.decode(Array(Data(contentsOf: URL(fileURLWithPath: device + "/device.key"))), passphrase: nil))
            #expect(certificate.body.signingKey == secrets.signing.publicKey.bytes)
            let bundle = try KeyBundle(
                canonicalBytes: Array(Data(contentsOf: URL(fileURLWithPath: device + "/device.bundle"))))
            let keyring = try bundle.open(with: secrets.box, admin: admin)
            if certificate.body.role == .mobile {
                #expect(keyring.key(for: .customer("anna"), epoch: 1) != nil)
                #expect(keyring.key(for: .store("berlin-1"), epoch: 1) == nil)
            } else if certificate.body.role == .hub {
                #expect(keyring.key(for: .store("paris-2"), epoch: 1) != nil)
                #expect(keyring.key(for: .loyalty("anna"), epoch: 1) != nil)
                #expect(keyring.key(for: .customer("anna"), epoch: 1) == nil)
            } else {
                #expect(keyring.key(for: .store("berlin-1"), epoch: 1) != nil)
                #expect(keyring.key(for: .loyalty("bob"), epoch: 1) != nil)
                #expect(keyring.key(for: .customer("anna"), epoch: 1) == nil)
            }
        }
        let revoke = try AisleCommandTests.run(["admin", "revoke", "--dir", hq, "--certificate", edge + "/device.cert"])
        #expect(revoke.status == 0, "\(revoke.output)")
        let list = try RevocationList(
            canonicalBytes: Array(Data(contentsOf: URL(fileURLWithPath: hq + "/revocations.bin"))))
        try trust.apply(list)
        let till = try Certificate(canonicalBytes: Array(Data(contentsOf: URL(fileURLWithPath: edge + "/device.cert"))))
        #expect(trust.revoked.contains(till.id))

        let again = try AisleCommandTests.run(["admin", "init", "--dir", hq, "--tenant", "acme"])
        #expect(again.status != 0)
        #expect(again.output.contains("refusing to overwrite key material"))
    }

    @Test("after a revocation, rotate issues a new epoch's keys to every device but the revoked one")
    func rotateAfterRevocation() throws {
        let directory = try TemporaryDirectory(prefix: "rotate")
        defer { withExtendedLifetime(directory) {} }
        let hq = directory.file("hq")
        let till1 = directory.file("till-1")
        let till2 = directory.file("till-2")
        for arguments in [
            ["admin", "init", "--dir", hq, "--tenant", "acme"],
            ["edge", "init", "--dir", till1, "--tenant", "acme", "--device", "till-1", "--store", "berlin-1"],
            ["edge", "init", "--dir", till2, "--tenant", "acme", "--device", "till-2", "--store", "berlin-1"],
            ["admin", "enroll", "--dir", hq, "--request", till1 + "/request.json"],
            ["admin", "enroll", "--dir", hq, "--request", till2 + "/request.json"],
            ["admin", "revoke", "--dir", hq, "--certificate", till2 + "/device.cert"],
        ] {
            let result = try AisleCommandTests.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.output)")
        }
        let rotate = try AisleCommandTests.run(["admin", "rotate", "--dir", hq])
        #expect(rotate.status == 0, "\(rotate.output)")
        #expect(rotate.output.contains("rotated to epoch 2"))
        #expect(rotate.output.contains("skipped  till-2 (revoked)"))

        let tenant = try JSONDecoder().decode(
            [String: String].self, from: Data(contentsOf: URL(fileURLWithPath: hq + "/tenant.json")))
        let admin = try SigningPublicKey([UInt8](hex: tenant["adminPublicKey"]!)!)
        func keyring(_ device: String, bundle: String) throws -> ScopeKeyring {
            let secrets = try DeviceSecrets(
                KeyFile.decode(Array(Data(contentsOf: URL(fileURLWithPath: device + "/device.key"))), passphrase: nil))
            let bundle = try KeyBundle(canonicalBytes: Array(Data(contentsOf: URL(fileURLWithPath: bundle))))
            return try bundle.open(with: secrets.box, admin: admin)
        }
        let renewed = try keyring(till1, bundle: hq + "/devices/till-1.bundle")
        #expect(renewed.newestEpoch(for: .store("berlin-1")) == 2)
        #expect(renewed.key(for: .store("berlin-1"), epoch: 1) != nil)
        let revoked = try keyring(till2, bundle: hq + "/devices/till-2.bundle")
        #expect(revoked.newestEpoch(for: .store("berlin-1")) == 1)
        #expect(revoked.key(for: .store("berlin-1"), epoch: 2) == nil)

        // A device enrolled after the rotation starts at the new epoch and can read the old one.
        let till3 = directory.file("till-3")
        for arguments in [
            ["edge", "init", "--dir", till3, "--tenant", "acme", "--device", "till-3", "--store", "berlin-1"],
            ["admin", "enroll", "--dir", hq, "--request", till3 + "/request.json"],
        ] {
            let result = try AisleCommandTests.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.output)")
        }
        let late = try keyring(till3, bundle: till3 + "/device.bundle")
        #expect(late.newestEpoch(for: .store("berlin-1")) == 2)
        #expect(late.key(for: .store("berlin-1"), epoch: 1) != nil)
    }

    @Test("a passphrase-protected admin key opens only with its passphrase")
    func passphraseProtectedAdminKey() throws {
        let directory = try TemporaryDirectory(prefix: "enrol")
        defer { withExtendedLifetime(directory) {} }
        let hq = directory.file("hq")
        setenv("AISLE_TEST_PASSPHRASE", "correct horse", 1)
        #expect(
            try AisleCommandTests.run([
                "admin", "init", "--dir", hq, "--tenant", "acme", "--passphrase-env", "AISLE_TEST_PASSPHRASE",
            ]).status == 0)
        #expect(
            try AisleCommandTests.run([
                "edge", "init", "--dir", directory.file("edge"), "--tenant", "acme", "--device", "till-1", "--store",
                "s",
            ]).status == 0)
        let request = directory.file("edge") + "/request.json"
        let without = try AisleCommandTests.run(["admin", "enroll", "--dir", hq, "--request", request])
        #expect(without.status != 0 && without.output.contains("protected by a passphrase"))
        setenv("AISLE_TEST_WRONG", "wrong horse", 1)
        let wrong = try AisleCommandTests.run([
            "admin", "enroll", "--dir", hq, "--request", request, "--passphrase-env", "AISLE_TEST_WRONG",
        ])
        #expect(wrong.status != 0 && wrong.output.contains("wrong passphrase"))
        let right = try AisleCommandTests.run([
            "admin", "enroll", "--dir", hq, "--request", request, "--passphrase-env", "AISLE_TEST_PASSPHRASE",
        ])
        #expect(right.status == 0, "\(right.output)")
    }
}

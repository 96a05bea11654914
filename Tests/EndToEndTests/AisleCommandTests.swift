import AisleCore
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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("aisle demo plays the cart story and ends with every replica converged")
    func demoConverges() throws {
        let (status, output) = try Self.run(["demo"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("converged: all three hold state"))
        #expect(output.contains("edits after checkout, not applied: milk-1l"))
        #expect(!output.contains("NOT converged"))
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

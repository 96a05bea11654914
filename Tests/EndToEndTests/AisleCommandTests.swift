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

import AisleTesting
import Foundation

/// The `aisle` processes of the demo: one-shot commands and servers, all this same binary.
enum DemoProcesses {
    /// This binary, however it was started (by path, or by name from PATH).
    static var executable: URL {
        if let running = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: running)
        }
        return URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).standardizedFileURL
    }

    /// Runs `aisle ARGUMENTS` to completion; fails with its output if it fails.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let (status, output) = try runProcess(executable, arguments)
        guard status == 0 else { throw CommandFailure("aisle \(arguments.joined(separator: " ")) failed:\n\(output)") }
        return output
    }

    /// Starts `aisle ARGUMENTS` as a server and waits for the port it listens on.
    static func serve(_ name: String, _ arguments: [String]) async throws -> (ServerProcess, Int) {
        let server = try ServerProcess(executable, arguments)
        guard let port = try await server.listeningPort() else {
            throw CommandFailure("\(name) did not start:\n\(server.text)")
        }
        return (server, port)
    }

    /// Polls `condition` until it holds; fails after `timeout`.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool)
        async throws
    {
        guard try await eventually(timeout: timeout, condition) else {
            throw CommandFailure("timed out after \(timeout) waiting until \(what)")
        }
    }
}

import Foundation
import Synchronization

/// A long-running `aisle` process (a hub or an edge) started for a test: its output is collected
/// as it comes, and the test can wait for a line, read the port it printed, and stop or kill it.
final class ServerProcess: Sendable {
    /// Output collected so far, shared with the pipe's reading handler.
    private final class Output: Sendable {
        let text = Mutex<String>("")
    }

    private let process: Process
    private let output = Output()

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = AisleCommandTests.executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var text: String { output.text.withLock { $0 } }

    /// Waits until the output contains `needle` (or the process exits, or `timeout` passes).
    @discardableResult
    func waitFor(_ needle: String, timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(needle) { return true }
            if !process.isRunning { return text.contains(needle) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The port from a line such as "listening on http://127.0.0.1:PORT".
    func listeningPort() async throws -> Int? {
        guard try await waitFor("listening on http://") else { return nil }
        let text = self.text
        guard let range = text.range(of: #"listening on http://[^:]+:(\d+)"#, options: .regularExpression) else {
            return nil
        }
        return Int(text[range].split(separator: ":").last ?? "")
    }

    /// Sends `signal` and waits for the process to exit; returns its status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

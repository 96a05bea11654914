import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure("aisle \(arguments.joined(separator: " ")) failed:\n\(output)")
        }
        return output
    }

    /// One JSON request to a local API: the status and the decoded body.
    static func request(_ method: String, _ url: String, _ body: [String: Any]? = nil) async throws -> (
        Int, [String: Any]
    ) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json)
    }

    /// Polls `condition` every 100 ms until it holds; fails after `timeout`.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure("timed out after \(timeout) waiting until \(what)")
    }
}

/// A server the demo started (a hub or an edge): its output, the port it printed, and a way to
/// stop it with a signal.
final class DemoServer: Sendable {
    private final class Output: Sendable {
        let text = Mutex("")
    }

    let name: String
    private let process: Process
    private let output = Output()

    init(_ name: String, _ arguments: [String]) throws {
        self.name = name
        process = Process()
        process.executableURL = DemoProcesses.executable
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

    /// The port from its "listening on http://HOST:PORT" line.
    func port() async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = output.text.withLock { $0 }
            if let range = text.range(of: #"listening on http://[^:]+:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return port
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CommandFailure("\(name) did not start:\n\(output.text.withLock { $0 })")
    }

    /// Sends `signal` and waits for the process to end.
    func stop(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }

    deinit {
        stop(SIGKILL)
    }
}

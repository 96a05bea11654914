public import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Runs `executable` with `arguments` to completion: its exit status and its output (stdout and
/// stderr together).
public func runProcess(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let child = try Spawned(executable, arguments)
    var output = ""
    child.readOutput { output += $0 }
    return (child.exitStatus(wait: true) ?? -1, output)
}

/// A long-running child process (a hub or an edge): its output is collected as it comes, and the
/// caller can wait for a line, read the port it printed, and stop or kill it. Killed when released.
public final class ServerProcess: Sendable {
    /// Output collected so far, appended by a reader thread of its own.
    private final class Output: Sendable {
        let text = Mutex("")
    }

    private let child: Spawned
    private let output = Output()

    public init(_ executable: URL, _ arguments: [String]) throws {
        child = try Spawned(executable, arguments)
        let child = self.child
        let output = self.output
        Thread.detachNewThread { child.readOutput { chunk in output.text.withLock { $0 += chunk } } }
    }

    /// Everything the process has printed so far.
    public var text: String { output.text.withLock { $0 } }

    /// The process id.
    public var pid: Int32 { child.pid }

    /// Waits until the output contains `needle` (or the process exits, or `timeout` passes).
    @discardableResult
    public func waitFor(_ needle: String, timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(needle) { return true }
            if !child.isRunning {
                // What it printed last may still be in the pipe.
                try await Task.sleep(for: .milliseconds(100))
                return text.contains(needle)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // A busy machine may wake this task only after the deadline: look once more.
        return text.contains(needle)
    }

    /// The port from a line such as "listening on http://127.0.0.1:PORT", nil if none came.
    public func listeningPort() async throws -> Int? {
        guard try await waitFor("listening on http://") else { return nil }
        let text = self.text
        guard let range = text.range(of: #"listening on http://[^:]+:(\d+)"#, options: .regularExpression) else {
            return nil
        }
        return Int(text[range].split(separator: ":").last ?? "")
    }

    /// Sends `signal` and waits for the process to exit; returns its status (its exit code, or
    /// the signal that ended it). A process still running `grace` later (a shutdown that hangs)
    /// is killed, and the status is `SIGKILL`'s, so a test expecting a clean exit fails instead of
    /// waiting forever.
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM, grace: Duration = .seconds(30)) -> Int32 {
        if let status = child.exitStatus() { return status }
        kill(child.pid, signal)
        let deadline = ContinuousClock.now + grace
        while child.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if child.isRunning { kill(child.pid, SIGKILL) }
        return child.exitStatus(wait: true) ?? -1
    }

    deinit {
        if child.isRunning {
            kill(child.pid, SIGKILL)
            _ = child.exitStatus(wait: true)
        }
    }
}

/// One JSON request to a local HTTP API: the status and the decoded body (`["raw": text]` when the
/// body is not a JSON object).
public func jsonRequest(_ method: String, _ url: String, _ body: [String: Any]? = nil) async throws -> (
    Int, [String: Any]
) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    if let body {
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let json =
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        ?? ["raw": String(decoding: data, as: UTF8.self)]
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, json)
}

/// Polls `condition` every 100 ms until it holds (true) or `timeout` passes (false).
public func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// Whether the edge API at `base` reports its hub link as `up` within `timeout`.
public func hubLink(of base: String, is up: Bool = true, timeout: Duration = .seconds(30)) async throws -> Bool {
    try await eventually(timeout: timeout) {
        try await jsonRequest("GET", base + "/health").1["hubConnected"] as? Bool == up
    }
}

/// The `message` of an API refusal (`{"error": {"message": …}}`), or the whole body.
public func refusalMessage(_ body: [String: Any]) -> String {
    (body["error"] as? [String: Any])?["message"] as? String ?? "\(body)"
}

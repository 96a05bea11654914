/// One computation at a time, shared by the callers that ask while it runs: the status view's
/// (`GET /v1/status`), which reads every device a hub knows (about 26 µs and 0.5 KB per device
/// measured by `status_view_known_phones`: some 25 s and half a gigabyte at a million phones).
/// Monitoring that polls it, or several operators at once, then cost one view at a time, not one
/// each.
///
/// A caller that joins a computation already running gets its result, made from the state as it
/// was when that one began: at most one computation older than the call. Nothing is kept once it
/// ends: the next call computes again. An error is handed to the callers that shared it only.
public actor SingleFlight<Value: Sendable> {
    private var running: Task<Value, any Error>?

    public init() {}

    /// The result of `compute`, or of the computation running when this is called.
    public func value(_ compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let running { return try await running.value }
        let task = Task { try await compute() }
        running = task
        defer { running = nil }
        return try await task.value
    }
}

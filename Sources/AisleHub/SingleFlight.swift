/// One computation at a time, shared by the callers that ask while it runs, and reused for a
/// while after: the status view's (`GET /v1/status`), which reads every device a hub knows (about
/// 15–26 µs and 0.5 KB per device measured by `status_view_known_phones`: some 25 s and half a
/// gigabyte at a million phones). Monitoring that polls it, or several operators at once, then
/// cost one view at a time, not one each, and at most `1 / (1 + reuse)` of a core however often
/// they ask.
///
/// A caller that joins a computation already running gets its result, made from the state as it
/// was when that one began. A result is handed to callers for `reuse` times as long as it took to
/// make after it was made, then dropped (a view of a million devices is a hundred megabytes): a
/// view made in 1 ms is reused for a few milliseconds, one made in 25 s for some 100 s. An error
/// is handed to the callers that shared it only.
public actor SingleFlight<Value: Sendable> {
    private var running: Task<Value, any Error>?
    /// The last result, and until when (on `clock`) it is handed out.
    private var kept: (value: Value, until: Duration)?
    private let reuse: Double
    private let clock: @Sendable () -> Duration

    /// - Parameters:
    ///   - reuse: how many times as long as a result took to make it is reused after (0: never;
    ///     each call after a computation ended makes a new one).
    ///   - clock: a monotonic reading (the time since this process began, by default).
    public init(reuse: Double = 0, clock: (@Sendable () -> Duration)? = nil) {
        precondition(reuse >= 0, "reuse is a factor of the time taken, at least 0")
        self.reuse = reuse
        self.clock = clock ?? { ContinuousClock.now - processStart }
    }

    /// The result of `compute`, of the computation running when this is called, or the last one
    /// while it is reused.
    public func value(_ compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let kept, clock() < kept.until { return kept.value }
        kept = nil
        if let running { return try await running.value }
        let started = clock()
        let task = Task { try await compute() }
        running = task
        defer { running = nil }
        let value = try await task.value
        let made = clock()
        let until = made + (made - started) * reuse
        if until > made {
            kept = (value, until)
            Task { [weak self] in try await self?.drop(at: until) }
        }
        return value
    }

    /// Drops the result kept until `until` once that has passed (nothing holds it between polls).
    private func drop(at until: Duration) async throws {
        while clock() < until { try await Task.sleep(for: until - clock()) }
        if let kept, kept.until == until { self.kept = nil }
    }
}

/// When this process began reading ``SingleFlight``'s default clock.
private let processStart = ContinuousClock.now

import Foundation
import Synchronization

/// Keeps `threads` threads spinning while `body` runs, so that a race which shows only on a busy
/// machine (a CI runner running other tests beside this one) shows in the test every time.
public func withCPULoad<T>(threads: Int = 4, _ body: () async throws -> T) async rethrows -> T {
    let load = SpinningThreads()
    for _ in 0..<threads { Thread.detachNewThread { load.spin() } }
    defer { load.stop() }
    return try await body()
}

private final class SpinningThreads: Sendable {
    private let stopped = Atomic(false)

    func spin() {
        while !stopped.load(ordering: .relaxed) {}
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}

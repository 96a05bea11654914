import AisleCore
import Histogram
import Synchronization

/// Which path a measured change took.
enum LatencyPath: Sendable {
    /// A phone's cart edit (customer scope, relayed unread by the hub) seen by the till that holds
    /// the phone's handoff grant.
    case phoneToTill
    /// A till's store-scope change seen by another till of the same store.
    case tillToTill
}

/// When each generated change was made, and how long each took to be applied by the devices that
/// should see it: one histogram per ``LatencyPath``, in microseconds.
///
/// A writer notes the instant just before its local write (``willWrite(_:by:)``); a receiver
/// reports the version vector of a scope after its node applied a batch (``applied(_:_:by:)``),
/// and every change that vector newly covers is recorded with its delay. A device writes each
/// scope from one task, so its next sequence number is known before the write: a receiver can
/// never see a change whose start is not noted yet.
final class LatencyBook: Sendable {
    /// One writer's changes in one scope.
    private struct Stream: Hashable {
        let scope: Scope
        let origin: ReplicaID
    }

    private struct State {
        /// The instant before each change's write, by stream, at index seq - 1.
        var starts: [Stream: [ContinuousClock.Instant]] = [:]
        /// What each receiver has recorded of each stream: the highest seq.
        var seen: [ReplicaID: [Stream: UInt64]] = [:]
        var phoneWrites = 0
        var tillWrites = 0
        /// The scopes each receiver should see every change of.
        var expected: [ReplicaID: Set<Scope>] = [:]
        /// Deliveries still missing when the run ended (see ``closeRun()``).
        var undelivered = 0
        /// Deliveries seen by their receivers.
        var delivered: UInt64 = 0
        var phoneToTill = LatencyBook.histogram()
        var tillToTill = LatencyBook.histogram()
        /// Phone → till since the last ``takeRecentPhoneToTill()``.
        var recentPhoneToTill = LatencyBook.histogram()
    }

    private let state = Mutex(State())

    /// Up to one hour, three significant digits.
    private static func histogram() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Notes that `origin` is about to write its next change of `scope`; returns that change's seq.
    @discardableResult
    func willWrite(_ scope: Scope, by origin: ReplicaID) -> UInt64 {
        let now = ContinuousClock.now
        return state.withLock { state in
            if case .customer = scope { state.phoneWrites += 1 } else { state.tillWrites += 1 }
            state.starts[Stream(scope: scope, origin: origin), default: []].append(now)
            return UInt64(state.starts[Stream(scope: scope, origin: origin)]!.count)
        }
    }

    /// `receiver` holds `vector` of `scope` now: records the delay of every change it covers that
    /// this receiver had not recorded yet (changes not made by the load generator are skipped).
    func applied(_ scope: Scope, _ vector: VersionVector, by receiver: ReplicaID) {
        let now = ContinuousClock.now
        let path: LatencyPath
        switch scope {
        case .customer: path = .phoneToTill
        case .store: path = .tillToTill
        default: return
        }
        state.withLock { state in
            for (origin, seq) in vector.entries where origin != receiver {
                let stream = Stream(scope: scope, origin: origin)
                guard let starts = state.starts[stream] else { continue }
                let from = state.seen[receiver]?[stream] ?? 0
                let to = min(seq, UInt64(starts.count))
                guard to > from else { continue }
                for index in Int(from)..<Int(to) {
                    let micros = UInt64(max(0, (now - starts[index]).microseconds))
                    switch path {
                    case .phoneToTill:
                        state.phoneToTill.record(micros)
                        state.recentPhoneToTill.record(micros)
                    case .tillToTill: state.tillToTill.record(micros)
                    }
                }
                state.seen[receiver, default: [:]][stream] = to
                state.delivered += to - from
            }
        }
    }

    /// `receiver` should see every change of `scope` made by the others.
    func expect(_ scope: Scope, by receiver: ReplicaID) {
        _ = state.withLock { $0.expected[receiver, default: []].insert(scope) }
    }

    /// Ends the run: every change a receiver should have seen and has not is recorded with its age
    /// now, a lower bound of its latency, so a saturated run's percentiles are not flattered by
    /// the changes that never arrived. Returns how many there were.
    @discardableResult
    func closeRun() -> Int {
        let now = ContinuousClock.now
        return state.withLock { state in
            var origins: [Scope: [ReplicaID]] = [:]
            for stream in state.starts.keys { origins[stream.scope, default: []].append(stream.origin) }
            var missing = 0
            for (receiver, scopes) in state.expected {
                for scope in scopes {
                    for origin in origins[scope] ?? [] where origin != receiver {
                        let stream = Stream(scope: scope, origin: origin)
                        let starts = state.starts[stream] ?? []
                        let from = Int(state.seen[receiver]?[stream] ?? 0)
                        guard from < starts.count else { continue }
                        for start in starts[from...] {
                            let micros = UInt64(max(0, (now - start).microseconds))
                            if case .customer = scope {
                                state.phoneToTill.record(micros)
                            } else {
                                state.tillToTill.record(micros)
                            }
                        }
                        missing += starts.count - from
                        state.seen[receiver, default: [:]][stream] = UInt64(starts.count)
                    }
                }
            }
            state.undelivered += missing
            return missing
        }
    }

    /// Deliveries missing at the end of the run (recorded by ``closeRun()``).
    var undelivered: Int { state.withLock { $0.undelivered } }

    /// The write noted last by `origin` in `scope` failed: forgets it.
    func didNotWrite(_ scope: Scope, by origin: ReplicaID) {
        state.withLock { state in
            guard state.starts[Stream(scope: scope, origin: origin)]?.popLast() != nil else { return }
            if case .customer = scope { state.phoneWrites -= 1 } else { state.tillWrites -= 1 }
        }
    }

    /// How many changes phones and tills wrote so far.
    var written: (phones: Int, tills: Int) { state.withLock { ($0.phoneWrites, $0.tillWrites) } }

    /// How many changes reached a receiver that should see them, on both paths.
    var delivered: UInt64 { state.withLock { $0.delivered } }

    /// Phone → till deliveries recorded since the last call (the run's first call: since it began),
    /// so progress shows the latency of now and not only of the run so far.
    func takeRecentPhoneToTill() -> Histogram<UInt64> {
        state.withLock { state in
            defer { state.recentPhoneToTill = LatencyBook.histogram() }
            return state.recentPhoneToTill
        }
    }

    /// A copy of the histogram of `path`.
    func histogram(_ path: LatencyPath) -> Histogram<UInt64> {
        state.withLock { state in
            switch path {
            case .phoneToTill: state.phoneToTill
            case .tillToTill: state.tillToTill
            }
        }
    }
}

extension Duration {
    /// The duration in whole microseconds.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

import AisleCore

/// The changes the writer logged last in each scope, kept in memory (in the ``WriterMemo``) so a
/// peer one or a few changes behind, the live push after every write, is answered without reading
/// the log back (``ReplicaStore/changes(in:missingFrom:maxBytes:)``).
///
/// Per scope, a tail: `base`, the scope's version vector before its oldest change, then its changes
/// in the order they were logged, each origin's contiguous from `base` up to `head`, the scope's
/// committed vector. A peer whose vector is at or past `base` for every origin it lacks changes of
/// gets them from here; any other question goes to the log. Whatever breaks that chain forgets the
/// tail: a snapshot installed, the log truncated (a peer behind its floor needs a snapshot), a
/// rollback. A write by another process is noticed at this writer's next transaction, which starts
/// a new memo; until then an answer from here lacks that write's changes, as this process never
/// learnt of them to push them either: they go with the next question after that transaction.
struct RecentChanges: Sendable {
    /// At most this many changes per scope (the oldest go first) …
    static let perScope = 64
    /// … and in all; past it every tail is forgotten (about 1 KB a change: a few MB at most).
    static let total = 4_096

    private struct Tail {
        var base: VersionVector
        var head: VersionVector
        var changes: [RemoteChange]
    }

    private var tails: [Scope: Tail] = [:]
    private var count = 0

    /// Records that `changes` were logged in `scope`, in this order, moving its vector from
    /// `before` to `after`. No changes with a vector that moved (a snapshot's) forgets the tail.
    mutating func logged(_ changes: [RemoteChange], in scope: Scope, before: VersionVector, after: VersionVector) {
        var expected = before
        for change in changes {
            guard change.seq == expected[change.origin] + 1 else {
                forget(scope)
                return
            }
            expected.advance(change.origin, to: change.seq)
        }
        guard expected == after else {
            forget(scope)
            return
        }
        guard !changes.isEmpty else { return }
        var tail =
            tails[scope].flatMap { $0.head == before ? $0 : nil } ?? Tail(base: before, head: before, changes: [])
        count -= tails[scope]?.changes.count ?? 0
        tail.changes += changes
        tail.head = after
        if tail.changes.count > Self.perScope {
            let dropped = tail.changes.count - Self.perScope
            for change in tail.changes.prefix(dropped) { tail.base.advance(change.origin, to: change.seq) }
            tail.changes.removeFirst(dropped)
        }
        count += tail.changes.count
        tails[scope] = tail
        if count > Self.total { forgetAll() }
    }

    mutating func forget(_ scope: Scope) {
        count -= tails.removeValue(forKey: scope)?.changes.count ?? 0
    }

    mutating func forgetAll() {
        tails.removeAll()
        count = 0
    }

    /// What ``ReplicaStore/changes(in:missingFrom:maxBytes:)`` returns for a peer at `peer`, when
    /// the tail of `scope` holds all of it: each origin's changes in order, origins by name, at
    /// most about `maxBytes` (at least one) and whether that is all. Nil when the log must answer.
    func missing(in scope: Scope, from peer: VersionVector, maxBytes: Int) -> (changes: [RemoteChange], complete: Bool)?
    {
        guard let tail = tails[scope] else { return nil }
        for (origin, seq) in tail.head.entries where peer[origin] < seq {
            guard tail.base[origin] <= peer[origin] else { return nil }
        }
        let lacking = tail.changes.filter { $0.seq > peer[$0.origin] }.sorted {
            ($0.origin, $0.seq) < ($1.origin, $1.seq)
        }
        var budget = maxBytes
        var result: [RemoteChange] = []
        for change in lacking {
            let size = ReplicaStore.sendSize(of: change, after: result.last)
            if size > budget, !result.isEmpty { return (result, false) }
            budget -= size
            result.append(change)
        }
        return (result, true)
    }
}

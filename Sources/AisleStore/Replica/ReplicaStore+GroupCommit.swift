import GRDB
import Synchronization

extension ReplicaStore {
    /// Runs `body` in one write transaction with the writer's memo, which it may update; what the
    /// transaction wrote is kept in the memo only if it commits. Returns after the commit.
    ///
    /// Writes from concurrent callers share a commit (group commit): the calls that arrive while
    /// a transaction commits run together in the next one, each in a savepoint of its own, so a
    /// write that throws is rolled back alone and its caller gets its error. A hub with a
    /// thousand connections then pays one commit (and one `fsync` at `synchronous = FULL`) for
    /// many devices' batches, not one each.
    ///
    /// - Parameter refetchable: the write only holds what a peer can send again until this replica
    ///   acknowledges it (remote changes, snapshot parts): at ``StoreConfiguration/Durability-swift.enum/full``
    ///   it commits without a sync of its own, made durable by the next commit that syncs or by
    ///   ``flush()``, which comes before any acknowledgement (docs/durability.md).
    func writeTransaction<T: Sendable>(
        refetchable: Bool = false,
        _ body: @escaping @Sendable (Database, inout WriterMemo) throws -> T
    ) async throws -> T {
        // Nobody committing: this caller commits its write, with any that arrive meanwhile, itself.
        if waitingWrites.lead() {
            let mine = Outcome<T>()
            let own = WaitingWrite(
                refetchable: refetchable,
                perform: { db, memo in
                    let value = try body(db, &memo)
                    return { mine.set(.success(value)) }
                },
                fail: { mine.set(.failure($0)) })
            await commit([own] + waitingWrites.waiting())
            // Writes that arrived during the commit go on in a task of their own.
            if waitingWrites.handOff() { Task { await self.commitWaitingWrites() } }
            return try mine.get()
        }
        return try await withCheckedThrowingContinuation { continuation in
            let write = WaitingWrite(
                refetchable: refetchable,
                perform: { db, memo in
                    let value = try body(db, &memo)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) })
            // The committer may have finished since `lead()`: then this caller starts one.
            if waitingWrites.add(write) { Task { await self.commitWaitingWrites() } }
        }
    }

    /// Commits the waiting writes, a group to a transaction, until none waits.
    private func commitWaitingWrites() async {
        while true {
            let group = waitingWrites.take()
            if group.isEmpty { return }
            await commit(group)
        }
    }

    /// Commits `group` in one transaction, each write in a savepoint of its own (alone, in the
    /// transaction itself), then resumes each write's caller with its result. The commit syncs
    /// unless every write in it is refetchable.
    private func commit(_ group: [WaitingWrite]) async {
        let outcomes: [Result<@Sendable () -> Void, any Error>]
        do {
            outcomes = try await memoTransaction(refetchable: group.allSatisfy(\.refetchable)) { db, memo in
                // Alone, the write is the transaction: if it throws, all of it rolls back.
                if group.count == 1 { return [.success(try group[0].perform(db, &memo))] }
                return group.map { write in
                    Result {
                        var succeed: (@Sendable () -> Void)?
                        do {
                            try db.inSavepoint {
                                succeed = try write.perform(db, &memo)
                                return .commit
                            }
                        } catch {
                            // Rolled back to its savepoint: the memo forgets what it learnt since.
                            memo.rolledBack()
                            throw error
                        }
                        return succeed!
                    }
                }
            }
        } catch {
            for write in group { write.fail(error) }
            return
        }
        for (write, outcome) in zip(group, outcomes) {
            switch outcome {
            case .success(let succeed): succeed()
            case .failure(let error): write.fail(error)
            }
        }
    }

}

/// One caller's write, waiting for the writer connection (``ReplicaStore/writeTransaction(refetchable:_:)``):
/// `perform` runs it in the transaction and returns what resumes the caller once the transaction
/// has committed; `fail` resumes it with an error instead.
struct WaitingWrite: Sendable {
    /// See ``ReplicaStore/writeTransaction(refetchable:_:)``.
    let refetchable: Bool
    let perform: @Sendable (Database, inout WriterMemo) throws -> @Sendable () -> Void
    let fail: @Sendable (any Error) -> Void
}

/// Items waiting to be handled together (group commit), and whether a caller or task is handling
/// them: the first caller to find nobody at it takes the lead, the others wait their turn.
public final class GroupQueue<Item: Sendable>: Sendable {
    private let state = Mutex<(waiting: [Item], busy: Bool)>(([], false))

    public init() {}

    /// Makes the caller the one handling the items if there is none.
    public func lead() -> Bool {
        state.withLock { state in
            defer { state.busy = true }
            return !state.busy
        }
    }

    /// Adds an item; true when nobody is handling the items, so the caller must start.
    public func add(_ item: Item) -> Bool {
        state.withLock { state in
            state.waiting.append(item)
            defer { state.busy = true }
            return !state.busy
        }
    }

    /// The one handling the items takes every waiting one, oldest first (perhaps none).
    public func waiting() -> [Item] {
        state.withLock { state in
            defer { state.waiting.removeAll() }
            return state.waiting
        }
    }

    /// The one handling the items takes every waiting one; none ends its turn (the next
    /// ``lead()`` or ``add(_:)`` starts another).
    public func take() -> [Item] {
        state.withLock { state in
            if state.waiting.isEmpty { state.busy = false }
            defer { state.waiting.removeAll() }
            return state.waiting
        }
    }

    /// A leading caller is done: true when items wait, for a task to go on with; otherwise the
    /// turn ends.
    public func handOff() -> Bool {
        state.withLock { state in
            if state.waiting.isEmpty { state.busy = false }
            return state.busy
        }
    }
}

/// What a committing caller's own write came to, set inside the commit.
private final class Outcome<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)

    func set(_ value: Result<T, any Error>) { result.withLock { $0 = value } }

    func get() throws -> T { try result.withLock { $0! }.get() }
}

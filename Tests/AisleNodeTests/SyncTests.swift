import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Synchronization
import Testing

/// What the two ends of a memory link share: frames waiting to be read, progress reported.
final class LinkState: Sendable {
    let inboxes = Mutex<[[[UInt8]]]>([[], []])
    let progress = Mutex<[[SyncProgress]]>([[], []])
}

/// Two nodes' sync connections joined in memory: frames are queued and carried one at a time.
final class MemoryLink: Sendable {
    let connections: [SyncConnection]
    let state = LinkState()

    /// - Parameter responderGate: where the responder's writes wait while it is closed.
    init(
        _ initiator: ReplicaNode, _ responder: ReplicaNode, scopes: @escaping @Sendable (Certificate) -> [Scope],
        responderGate: SendGate? = nil
    ) {
        let state = self.state
        connections = [initiator, responder].enumerated().map { index, node in
            SyncConnection(
                node: node, side: index == 0 ? .initiator : .responder, scopes: scopes,
                send: { frame in
                    // A real transport suspends while writing; so does this one, so calls from
                    // several tasks can interleave here as they would on a socket.
                    await Task.yield()
                    if index == 1 { await responderGate?.pass() }
                    state.inboxes.withLock { $0[1 - index].append(frame) }
                },
                progress: { event in state.progress.withLock { $0[index].append(event) } })
        }
    }

    func progress(_ side: Int) -> [SyncProgress] { state.progress.withLock { $0[side] } }

    /// Starts both sides and carries frames until neither has anything to say.
    func connect() async throws {
        for connection in connections { try await connection.start() }
        try await pump()
    }

    func pump() async throws {
        while true {
            var moved = false
            for index in 0..<2 {
                let frames = state.inboxes.withLock { inboxes in
                    defer { inboxes[index] = [] }
                    return inboxes[index]
                }
                for frame in frames {
                    moved = true
                    try await connections[index].receive(frame)
                }
            }
            if !moved { return }
        }
    }
}

/// A gate a link's writes wait at while it is closed (a slow socket).
final class SendGate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((true, []))

    func close() { state.withLock { $0.open = false } }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for writer in waiting { writer.resume() }
    }

    /// How many writes wait now.
    var waiting: Int { state.withLock { $0.waiting.count } }

    func pass() async {
        await withCheckedContinuation { writer in
            let open = state.withLock { state in
                if !state.open { state.waiting.append(writer) }
                return state.open
            }
            if open { writer.resume() }
        }
    }
}

@Suite("Sync between nodes")
struct SyncTests {
    @Test("a till's sales reach the other till through the hub, the author's certificate forwarded with them")
    func salesTravelThroughTheHub() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let hubCertificate = [hub.identity.certificate]
        let till1 = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: hubCertificate)
        let till2 = try chain.node(
            "till-2", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: hubCertificate)
        try await till1.store.receiveStock(10, of: "milk", in: "berlin")
        try await till1.store.sell(4, of: "milk", in: "berlin")
        let scopes: @Sendable (Certificate) -> [Scope] = { _ in [.store("berlin")] }

        let up = MemoryLink(till1, hub, scopes: scopes)
        try await up.connect()
        let down = MemoryLink(till2, hub, scopes: scopes)
        try await down.connect()

        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 6)
        #expect(try till2.store.digest() == till1.store.digest())
        #expect(try hub.store.digest() == till1.store.digest())
        #expect(down.progress(0).contains(.connected("hub", .hub)))

        // Live: a sale on till 1 reaches the hub as it happens, and from there till 2.
        try await till1.store.sell(1, of: "milk", in: "berlin")
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        try await down.connections[1].changed(.store("berlin"))
        try await down.pump()
        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 5)
    }

    @Test(
        "a connection told of a change while its turn is busy writing pushes it once the turn is free, without its caller waiting"
    )
    func announcedChangeIsPushedAfterABusyTurn() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let peers = [hub.identity.certificate]
        let till1 = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: peers)
        let till2 = try chain.node("till-2", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: peers)
        let scopes: @Sendable (Certificate) -> [Scope] = { _ in [.store("berlin")] }
        let up = MemoryLink(till1, hub, scopes: scopes)
        try await up.connect()
        let gate = SendGate()
        let down = MemoryLink(till2, hub, scopes: scopes, responderGate: gate)
        try await down.connect()

        // The hub's push of the milk to till 2 is stuck writing: its connection's turn is busy.
        gate.close()
        try await till1.store.receiveStock(5, of: "milk", in: "berlin")
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        let busy = Task { try await down.connections[1].changed(.store("berlin")) }
        while gate.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }

        // The bread reaches the hub meanwhile, and the hub announces it: the call returns at once.
        try await till1.store.receiveStock(3, of: "bread", in: "berlin")
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        down.connections[1].announce(.store("berlin"))
        #expect(gate.waiting == 1)

        // Once the write goes through, the announced push follows it (the stuck one was
        // fetched before the bread arrived).
        gate.open()
        try await busy.value
        for _ in 0..<500 where try till2.store.stockLevel(of: "bread", in: "berlin").level != 3 {
            try await down.pump()
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 5)
        #expect(try till2.store.stockLevel(of: "bread", in: "berlin").level == 3)
    }

    @Test("the hub relays a customer's cart it cannot read, and the customer's other phone reads it")
    func hubRelaysCustomerCartsUnread() async throws {
        let chain = try TestTenant()
        let anna = Scope.customer("anna")
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let phone = try chain.node(
            "phone-anna", .mobile, [.exactly(anna)], keys: [anna], peers: [hub.identity.certificate])
        let tablet = try chain.node(
            "tablet-anna", .mobile, [.exactly(anna)], keys: [anna], peers: [hub.identity.certificate])
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }
        let scopes: @Sendable (Certificate) -> [Scope] = { _ in [anna] }

        try await MemoryLink(phone, hub, scopes: scopes).connect()
        // The hub logged the change but holds no cart: it cannot decrypt it.
        #expect(try hub.store.versionVector(of: anna)["phone-anna"] == 1)
        #expect(try hub.store.cart("c1", in: .customer("anna")) == nil)

        try await MemoryLink(tablet, hub, scopes: scopes).connect()
        let cart = try #require(try tablet.store.cart("c1", in: .customer("anna")))
        #expect(cart.cart.visibleLines.map(\.quantity) == [2])
        #expect(try tablet.store.digest() == phone.store.digest())
    }

    @Test("local changes pushed from several tasks while frames arrive all reach the hub, and the session survives")
    func concurrentPushesKeepFramesInOrder() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
        let link = MemoryLink(till, hub, scopes: { _ in [.store("berlin")] })
        try await link.connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<10 {
                        try await till.store.receiveStock(1, of: "milk", in: "berlin")
                        try await link.connections[0].changed(.store("berlin"))
                    }
                }
            }
            group.addTask {
                for _ in 0..<100 {
                    try await link.pump()
                    await Task.yield()
                }
            }
            try await group.waitForAll()
        }
        try await link.pump()
        #expect(!link.progress(0).contains { if case .ended = $0 { true } else { false } })
        #expect(!link.progress(1).contains { if case .ended = $0 { true } else { false } })
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 40)
    }

    @Test("a restarted hub still forwards a till's changes with its certificate, learned before the restart")
    func learnedCertificatesSurviveARestart() async throws {
        let chain = try TestTenant()
        let scopes: @Sendable (Certificate) -> [Scope] = { _ in [.store("berlin")] }
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let till1 = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
        try await till1.store.receiveStock(3, of: "milk", in: "berlin")
        try await MemoryLink(till1, hub, scopes: scopes).connect()
        try hub.store.close()
        // The same hub database, a new process: its identity directory knows no till.
        let restarted = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let till2 = try chain.node(
            "till-2", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")],
            peers: [restarted.identity.certificate])
        try await MemoryLink(till2, restarted, scopes: scopes).connect()
        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 3)
    }

    @Test("a sync resumed after a disconnect sends only what is missing, never a duplicate")
    func resumeSendsOnlyWhatIsMissing() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
        let scopes: @Sendable (Certificate) -> [Scope] = { _ in [.store("berlin")] }
        for _ in 0..<3 { try await till.store.receiveStock(1, of: "milk", in: "berlin") }
        try await MemoryLink(till, hub, scopes: scopes).connect()
        for _ in 0..<2 { try await till.store.receiveStock(1, of: "milk", in: "berlin") }
        let again = MemoryLink(till, hub, scopes: scopes)
        try await again.connect()
        let applied = again.progress(1).compactMap { event -> Int? in
            if case .applied(_, let count, _) = event { return count }
            return nil
        }
        #expect(applied == [2])
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 5)
    }
}

import AisleCore
import AisleCrypto
@_spi(Testing) import AisleSync
import Testing

@Suite("Questions on a sync session (the rights bank)")
struct SyncRequestTests {
    let devices = Devices()
    let milk = try! ObjectKey(scope: .store("berlin"), kind: .stock, id: "milk")

    func connected() -> (Link, Devices.Device, Devices.Device) {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        link.connect()
        return (link, till, hub)
    }

    @Test("a question reaches the peer checked and parsed, and its answer comes back under the same id")
    func questionIsAnswered() {
        let (link, till, _) = connected()
        let grant = devices.envelopes(till, scope: .store("berlin"), count: 1)
        link.answering[1] = { _ in .granted(units: 3, envelopes: grant) }
        link.act(0, link.sides[0].ask(.rights(milk, units: 5), id: 7))
        #expect(link.served[1] == [.rights(milk, units: 5)])
        #expect(link.answers[0] == [7: .granted(units: 3, envelopes: grant)])
        link.answering[1] = { _ in .refused("the hub holds none") }
        link.act(0, link.sides[0].ask(.rights(milk, units: 1), id: 8))
        #expect(link.answers[0][8] == .refused("the hub holds none"))
        #expect(link.closed == [nil, nil])
    }

    @Test("a question about a scope the asker may not hold is refused, and the session goes on")
    func foreignScopeRefused() throws {
        let (link, _, _) = connected()
        let paris = try ObjectKey(scope: .store("paris"), kind: .stock, id: "milk")
        link.act(0, link.sides[0].ask(.rights(paris, units: 1), id: 1))
        #expect(link.served[1].isEmpty)
        #expect(link.answers[0][1] == .refused("pos till-1 may not hold store:paris"))
        #expect(link.closed == [nil, nil])
    }

    @Test("an answer to a question never asked ends the session as a protocol violation")
    func unaskedAnswerEndsTheSession() {
        let (link, _, _) = connected()
        link.act(1, link.sides[1].answer(42, .granted(units: 1, envelopes: [])))
        #expect(link.closed[0] == .protocolViolation("a reply to question 42, which this side did not ask"))
    }

    @Test("the hub's recall reaches the till parsed, and the till's hand-in comes back under the same id")
    func recallTravelsFromTheHubToTheTill() {
        let (link, till, _) = connected()
        let handIn = devices.envelopes(till, scope: .store("berlin"), count: 1)
        link.answering[0] = { _ in .granted(units: 2, envelopes: handIn) }
        link.act(1, link.sides[1].ask(.recall(store: "berlin", lines: ["milk": 3, "oats": 1]), id: 4))
        #expect(link.served[0] == [.recall(store: "berlin", lines: ["milk": 3, "oats": 1])])
        #expect(link.answers[1] == [4: .granted(units: 2, envelopes: handIn)])
        #expect(link.closed == [nil, nil])
    }
}

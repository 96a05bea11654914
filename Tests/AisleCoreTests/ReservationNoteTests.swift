import AisleCore
import Testing

@Suite("The phone's notes of its reservations")
struct ReservationNoteTests {
    static let terms = ReservationNote.Terms(store: "berlin", lines: ["oat-milk": 2], expiresAt: 10_000)

    @Test("reservation notes: join is a lattice under placing and reported stages")
    func lattice() async {
        await LatticeScript<ReservationNote>.verify { word, note, _, _ in
            switch word % 3 {
            case 0:
                let delta = ReservationNote.placed(
                    .init(store: word % 2 == 0 ? "berlin" : "paris", lines: ["oat-milk": 1], expiresAt: word % 7))
                note.join(delta)
                return delta
            default:
                return note.advance(to: ReservationPhase.allCases[Int((word >> 2) % 4)])
            }
        }
    }

    @Test("two phones that heard different stages converge on the later one")
    func laterStageWins() {
        var phone1 = ReservationNote.placed(Self.terms)
        var phone2 = phone1
        phone1.advance(to: .picked)
        phone2.advance(to: .collected)
        #expect(phone1.joined(with: phone2) == phone2.joined(with: phone1))
        #expect(phone1.joined(with: phone2).status(at: 0) == .collected)
    }

    @Test(
        "the customer reads placed, picked, collected, expired past the deadline, released before it",
        arguments: [
            (ReservationPhase.reserved, UInt64(9_999), ReservationStatus.placed),
            (.picked, 9_999, .picked),
            (.reserved, 10_000, .expired),
            (.picked, 20_000, .expired),
            (.collected, 20_000, .collected),
            (.released, 20_000, .expired),
            (.released, 5_000, .released),
        ])
    func status(phase: ReservationPhase, now: UInt64, expected: ReservationStatus) {
        var note = ReservationNote.placed(Self.terms)
        note.advance(to: phase)
        #expect(note.status(at: now) == expected)
    }

    @Test("a note round-trips through its canonical bytes as an object of kind 15 in a customer scope")
    func encoding() throws {
        var note = ReservationNote.placed(Self.terms)
        note.advance(to: .picked)
        #expect(try ReservationNote(canonicalBytes: note.canonicalBytes) == note)
        #expect(ObjectKind.reservationNote.rawValue == 15)
        #expect(ObjectKind.reservationNote.belongs(in: .customer("anna")))
        #expect(!ObjectKind.reservationNote.belongs(in: .store("berlin")))
    }
}

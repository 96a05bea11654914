import AisleCore
import PropertyBased
import Testing

@Suite("Scopes written as text")
struct ScopeTests {
    /// Every character an identifier may hold, around `:` and `;` in byte order too.
    static let characters = Array("abcxyzABCXYZ0189-_.:")

    @Test(
        "every scope of a kind, and no other, starts with its kind's prefix and lies in its range of text, whatever its id"
    )
    func kindsTextRanges() async {
        await propertyCheck(
            count: 1_000,
            input: Gen.int(in: 0..<Self.characters.count).array(of: 1...64), Gen.int(in: 0..<4)
        ) { indices, which in
            let id = String(indices.map { Self.characters[$0] })
            let scopes: [(Scope, Scope.Kind?)] = [
                (.store(try! StoreID(id)), .store), (.customer(try! CustomerID(id)), .customer),
                (.loyalty(try! CustomerID(id)), .loyalty), (.catalog, nil),
            ]
            let (scope, kind) = scopes[which]
            let text = scope.description
            for other in [Scope.Kind.store, .customer, .loyalty] {
                let range = other.textRange
                #expect(text.hasPrefix(other.textPrefix) == (other == kind), "\(text) \(other)")
                #expect((range.lower <= text && text < range.upper) == (other == kind), "\(text) \(other)")
            }
            #expect((try? Scope(text)) == scope)
        }
    }
}

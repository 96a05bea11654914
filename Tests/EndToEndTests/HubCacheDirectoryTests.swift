import AisleHub
import AisleTesting
import Foundation
import Testing

@Suite("A scale-out hub's cache directory")
struct HubCacheDirectoryTests {
    @Test(
        "a sweep removes the caches no living hub holds, and keeps a held one, one still being made, and anything else"
    )
    func sweepRemovesOnlyAbandonedCaches() throws {
        let temporary = try TemporaryDirectory()
        let base = URL(fileURLWithPath: temporary.path, isDirectory: true)
        let held = try HubCacheDirectory(in: base)
        try Data("cache".utf8).write(to: held.url.appendingPathComponent("cache.db"))
        // What a killed hub leaves: its directory, no longer locked by anyone.
        let abandoned = base.appendingPathComponent("aisle-hub-cache-dead01")
        try FileManager.default.createDirectory(at: abandoned, withIntermediateDirectories: false)
        try Data("cache".utf8).write(to: abandoned.appendingPathComponent("cache.db"))
        // A directory another hub is making right now (not yet locked and renamed), and others.
        let beingMade = base.appendingPathComponent("aisle-hub-new-fresh1")
        let unrelated = base.appendingPathComponent("aisle-hub-3F2A")
        for directory in [beingMade, unrelated] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        }

        let removed = HubCacheDirectory.sweep(in: base)

        #expect(removed.map(\.lastPathComponent) == ["aisle-hub-cache-dead01"])
        for kept in [held.url, beingMade, unrelated] {
            #expect(FileManager.default.fileExists(atPath: kept.path), "\(kept.lastPathComponent)")
        }
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(held.url.lastPathComponent.hasPrefix("aisle-hub-cache-"))

        // Let go, the cache is removed; a second sweep finds nothing.
        held.remove()
        #expect(!FileManager.default.fileExists(atPath: held.url.path))
        #expect(HubCacheDirectory.sweep(in: base).isEmpty)
    }
}

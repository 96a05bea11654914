import AisleCore
import AisleStore
import AisleTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A child process writes to a replica and prints each acknowledged change; the parent kills it
/// with SIGKILL at a random moment, reopens the database and checks that nothing acknowledged
/// was lost and nothing was half applied.
@Suite("Crash recovery with real processes")
struct CrashRecoveryTests {
    static let environment = ProcessInfo.processInfo.environment
    static let wall: UInt64 = 1_767_225_600_000

    static var writer: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("CrashWriter")
    }

    /// What the child printed before it died.
    struct Transcript {
        var completed = 0
        var acknowledged: [(scope: Scope, seq: UInt64)] = []
    }

    @Test("SIGKILL at a random moment loses no acknowledged change and leaves a sound, replayable database")
    func killedWriterLosesNothing() throws {
        let iterations = Self.environment["AISLE_CRASH_ITERATIONS"].flatMap(Int.init) ?? 200
        let base = Self.environment["AISLE_CRASH_SEED"].flatMap(UInt64.init) ?? 424_242
        var random = SeededRandom(seed: base)
        var failures: [String] = []
        var totalAcknowledged = 0
        for iteration in 0..<iterations {
            let seed = SeededRandom.derive(base: base, index: UInt64(iteration))
            let durability = StoreConfiguration.Durability.allCases[iteration % 3]
            let killAfterLines = Int(random.next() % 60)
            let extraMicroseconds = UInt32(random.next() % 3_000)
            do {
                let problem = try Self.crashAndCheck(
                    seed: seed, durability: durability, killAfterLines: killAfterLines,
                    extraMicroseconds: extraMicroseconds, acknowledged: &totalAcknowledged)
                if let problem { failures.append("iteration \(iteration) seed \(seed): \(problem)") }
            } catch {
                failures.append("iteration \(iteration) seed \(seed): \(error)")
            }
        }
        print(
            "sim crash_recovery schedules=\(iterations) failures=\(failures.count) seed=\(base) acknowledged=\(totalAcknowledged)"
        )
        for failure in failures.prefix(5) { print("crash_recovery FAILED: \(failure)") }
        #expect(failures.isEmpty, "\(failures.first ?? "")")
    }

    /// Runs one child, kills it, and returns what is wrong with the database, or nil.
    static func crashAndCheck(
        seed: UInt64, durability: StoreConfiguration.Durability, killAfterLines: Int, extraMicroseconds: UInt32,
        acknowledged total: inout Int
    ) throws -> String? {
        let directory = try TemporaryDirectory(prefix: "crash")
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("replica.db")
        let process = try Spawned(writer, [path, String(seed), durability.rawValue], errors: false)

        var buffer = Data()
        var lines = 0
        while lines < killAfterLines, let chunk = process.readChunk() {
            buffer.append(contentsOf: chunk)
            lines = buffer.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        }
        usleep(extraMicroseconds)
        kill(process.pid, SIGKILL)
        process.readOutput { buffer.append(contentsOf: Array($0.utf8)) }
        _ = process.exitStatus(wait: true)

        let transcript = parse(buffer)
        total += transcript.acknowledged.count
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "crash-writer", wallClock: { wall })
        defer { try? store.close() }
        let integrity = try store.integrityCheck()
        guard integrity == "ok" else { return "integrity_check: \(integrity)" }
        for (scope, seq) in transcript.acknowledged where try store.versionVector(of: scope)["crash-writer"] < seq {
            return "acknowledged \(scope) #\(seq) is missing after the crash"
        }
        let digest = try store.digest()
        let candidates = [transcript.completed, transcript.completed + 1].map {
            RetailWorkload.replay(seed: seed, replica: "crash-writer", count: $0, wallMillis: wall).digest
        }
        guard candidates.contains(digest) else {
            return "state after \(transcript.completed) acknowledged operations matches no replay"
        }
        return nil
    }

    static func parse(_ data: Data) -> Transcript {
        var transcript = Transcript()
        let text = String(decoding: data, as: UTF8.self)
        // Only complete lines count: a line cut off by the kill was never fully acknowledged.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let words = line.split(separator: " ")
            guard let first = words.first else { continue }
            transcript.completed += 1
            guard first == "ack" else { continue }
            var index = 2
            while index + 1 < words.count {
                if let scope = try? Scope(String(words[index])), let seq = UInt64(words[index + 1]) {
                    transcript.acknowledged.append((scope, seq))
                }
                index += 2
            }
        }
        return transcript
    }
}

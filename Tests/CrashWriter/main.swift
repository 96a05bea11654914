// The child of the crash test: performs a seeded workload on a replica database and prints one
// line per operation once its transaction has returned ("ack <index> <scope> <seq> …" or
// "refused <index>"), until it is killed. Usage: CrashWriter DB-PATH SEED DURABILITY
import AisleCore
import AisleStore
import AisleTesting
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4, let seed = UInt64(arguments[2]),
    let durability = StoreConfiguration.Durability(rawValue: arguments[3])
else {
    FileHandle.standardError.write(Data("usage: CrashWriter DB-PATH SEED full|normal|off\n".utf8))
    exit(2)
}
let replica: ReplicaID = "crash-writer"
let wall: UInt64 = 1_767_225_600_000
let store = try ReplicaStore(
    StoreConfiguration(path: arguments[1], durability: durability), replica: replica, wallClock: { wall })
var workload = RetailWorkload(seed: seed, replica: replica)
var index = 0
while true {
    let operation = workload.next()
    var line: String
    do {
        let acknowledgements = try await store.mutate(
            objects: operation.objects, readsCatalog: operation.readsCatalog, operation.mutation)
        line = "ack \(index)" + acknowledgements.map { " \($0.scope) \($0.seq)" }.joined()
    } catch {
        line = "refused \(index)"
    }
    line += "\n"
    // Unbuffered: a line on the pipe is an acknowledgement the parent may rely on.
    FileHandle.standardOutput.write(Data(line.utf8))
    index += 1
}

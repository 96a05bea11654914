import AisleCore
import AisleStore
import ArgumentParser

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Run the tenant: create it, enrol devices, publish the catalog; operate replica databases.",
        subcommands: [
            AdminInitCommand.self, EnrollCommand.self, RenewCommand.self, RevokeCommand.self, RotateCommand.self,
            CatalogCommand.self,
            BackupCommand.self, RestoreCommand.self, InspectCommand.self, StatusCommand.self,
        ]
    )
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a replica database with SQLite's online backup, while its node keeps writing.",
        discussion: "The copy is a consistent snapshot; restore it with `aisle admin restore`."
    )

    @Option(name: .long, help: "The replica database to back up.")
    var db: String

    @Option(name: .long, help: "The backup file to create (refused if it exists).")
    var to: String

    func validate() throws {
        try DatabaseFile.check(db, given: "--db")
        try DatabaseFile.check(to, given: "--to")
    }

    func run() throws {
        try ReplicaStore.backup(databaseAt: db, to: to)
        let replica = try ReplicaStore.replicaID(ofDatabaseAt: to)
        print("backed up replica \(replica) from \(db) to \(to)")
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new replica database file.",
        discussion: "Refuses to overwrite an existing file: move the damaged one aside first."
    )

    @Option(name: .long, help: "The backup file made by `aisle admin backup`.")
    var from: String

    @Option(name: .long, help: "The replica database to create.")
    var db: String

    func validate() throws {
        try DatabaseFile.check(from, given: "--from")
        try DatabaseFile.check(db, given: "--db")
    }

    func run() throws {
        try ReplicaStore.restore(from: from, to: db)
        let replica = try ReplicaStore.replicaID(ofDatabaseAt: db)
        let store = try ReplicaStore(StoreConfiguration(path: db), replica: replica)
        defer { try? store.close() }
        print(
            "restored replica \(replica) to \(db): integrity \(try store.integrityCheck()), state \(try store.digest().short)"
        )
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a replica database's owner, integrity, scopes, version vectors and digest."
    )

    @Option(name: .long, help: "The replica database.")
    var db: String

    func validate() throws {
        try DatabaseFile.check(db, given: "--db")
    }

    func run() throws {
        let replica = try ReplicaStore.replicaID(ofDatabaseAt: db)
        let store = try ReplicaStore(StoreConfiguration(path: db), replica: replica)
        defer { try? store.close() }
        let state = try store.state()
        print("replica    \(replica)")
        print("integrity  \(try store.integrityCheck())")
        print("state      \(state.digest.hex)")
        for scope in state.scopes {
            print("scope      \(scope)  applied \(try store.versionVector(of: scope))")
        }
    }
}

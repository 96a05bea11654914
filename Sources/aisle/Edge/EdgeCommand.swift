import AisleCrypto
import AisleEdge
import ArgumentParser

struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge", abstract: "The store node: a till's or kiosk's replica.",
        subcommands: [EdgeInitCommand.self, EdgeServeCommand.self])
}

struct EdgeInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create this till's or kiosk's keys, a signing request for the admin, and edge.json.",
        discussion: """
            Writes edge.json in the directory unless one is there: sync with the hub at \
            ws://127.0.0.1:8470/v1/sync, serve the tills' API on 127.0.0.1:8480, database edge.db and \
            the identity beside it.
            """)

    @OptionGroup var options: DeviceInitOptions

    @Option(name: .long, help: "The store this device sells in.")
    var store: String

    @Option(name: .long, help: "pos or kiosk.")
    var role: String = "pos"

    func validate() throws {
        guard let role = Role(rawValue: role), role.isStoreTerminal else {
            throw ValidationError("--role must be pos or kiosk, got \(role)")
        }
    }

    func run() throws {
        try options.initialize(role: Role(rawValue: role) ?? .pos, scopes: ["catalog", "store:\(store)", "loyalty:*"])
        try ConfigFile.writeDefault(EdgeConfiguration(), named: "edge.json", in: options.dir)
    }
}

import AisleCrypto
import ArgumentParser

struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge", abstract: "The store node: a till's or kiosk's replica.",
        subcommands: [EdgeInitCommand.self, EdgeServeCommand.self])
}

struct EdgeInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create this till's or kiosk's keys and a signing request for the admin.")

    @OptionGroup var options: DeviceInitOptions

    @Option(name: .long, help: "The store this device sells in.")
    var store: String

    @Option(name: .long, help: "pos or kiosk.")
    var role: String = "pos"

    func run() throws {
        guard let role = Role(rawValue: role), role.isStoreTerminal else {
            throw ValidationError("--role must be pos or kiosk, got \(role)")
        }
        try options.initialize(role: role, scopes: ["catalog", "store:\(store)", "loyalty:*"])
    }
}

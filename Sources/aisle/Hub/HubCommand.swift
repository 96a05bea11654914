import AisleCrypto
import ArgumentParser

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "The cloud node: relays every store and phone, and banks stock and points rights.",
        subcommands: [HubInitCommand.self, HubServeCommand.self])
}

struct HubInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the hub's keys and a signing request for the admin.",
        discussion: "The hub is granted the catalog, every store and every loyalty account, never a customer scope.")

    @OptionGroup var options: DeviceInitOptions

    func run() throws {
        try options.initialize(role: .hub, scopes: ["catalog", "store:*", "loyalty:*"])
    }
}

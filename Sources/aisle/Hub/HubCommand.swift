import AisleCrypto
import AisleHub
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
        abstract: "Create the hub's keys, a signing request for the admin, and hub.json.",
        discussion: """
            The hub is granted the catalog, every store and every loyalty account, never a customer scope. \
            Writes hub.json in the directory unless one is there: listen on 127.0.0.1:8470, database hub.db \
            and the identity beside it.
            """)

    @OptionGroup var options: DeviceInitOptions

    func run() throws {
        try options.initialize(role: .hub, scopes: ["catalog", "store:*", "loyalty:*"])
        try ConfigFile.writeDefault(HubConfiguration(), named: "hub.json", in: options.dir)
    }
}

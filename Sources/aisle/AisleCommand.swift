import ArgumentParser

@main
struct AisleCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "aisle",
        abstract: "Aisle: an offline-first sync engine for retail.",
        discussion: """
            Tills, kiosks and phones keep carts, stock and loyalty points as CRDTs and replicate \
            them through a hub, so a cart started on a phone continues at the till and a store \
            keeps selling while its WAN is down.
            """,
        version: version,
        subcommands: [
            DemoCommand.self, AdminCommand.self, HubCommand.self, EdgeCommand.self, MobileCommand.self,
            LoadgenCommand.self,
        ]
    )
}

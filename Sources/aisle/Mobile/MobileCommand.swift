import AisleCrypto
import ArgumentParser

struct MobileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mobile", abstract: "The shopping app on a phone, simulated.",
        subcommands: [
            MobileInitCommand.self, MobileCartCommand.self, MobileSyncCommand.self, MobileHandoffCommand.self,
            MobileHistoryCommand.self, MobileReserveCommand.self, MobileFindCommand.self,
            MobileWishlistCommand.self, MobileReservationsCommand.self,
        ])
}

struct MobileInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create this phone's keys and a signing request for the admin.")

    @OptionGroup var options: DeviceInitOptions

    @Option(name: .long, help: "The customer the phone belongs to.")
    var customer: String

    func run() throws {
        try options.initialize(role: .mobile, scopes: ["catalog", "customer:\(customer)", "loyalty:\(customer)"])
    }
}

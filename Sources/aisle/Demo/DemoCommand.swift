import AisleCore
import ArgumentParser

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play the cart story: a phone, a till and a hub edit one cart through a partition.",
        discussion: """
            Runs three replicas in memory, partitions the phone away while both sides keep editing, \
            heals, and shows that every replica converges to the same cart, total and digest. \
            Later versions run the same story with real hub and edge processes.
            """
    )

    @Flag(name: .long, help: "Also print each replica's state digest in full.")
    var fullDigests = false

    func run() throws {
        var story = CartStory(fullDigests: fullDigests)
        try story.play()
        if !story.converged { throw ExitCode.failure }
    }
}

import AisleCore
import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Play the cart story with real processes: a hub, two stores' tills and a phone.",
        discussion: """
            Starts a hub, three edges (two tills in Berlin, one in Paris) and Anna's phone as \
            `aisle` processes on 127.0.0.1 in a temporary directory: head office publishes the \
            sample catalog (data/catalog), the phone fills a cart, a Berlin till takes it over with \
            a handoff code, the hub is killed while both stores keep selling (the second Berlin till \
            syncing through the first), the hub returns and everything converges, and the phone \
            finds the stores nearest to Paris with oat-milk in stock. Prints each step and the final \
            state, then stops the processes and removes the directory. With --in-memory, plays the \
            CRDT story on three in-memory replicas instead.
            """
    )

    @Flag(name: .long, help: "Play the story on three in-memory replicas (no processes).")
    var inMemory = false

    @Flag(name: .long, help: "With --in-memory, also print each replica's state digest in full.")
    var fullDigests = false

    @Option(
        name: .long,
        help: "The catalog to publish (default: data/catalog in the working directory or above the executable).")
    var catalog: String?

    func run() async throws {
        if inMemory {
            var story = CartStory(fullDigests: fullDigests)
            try story.play()
            if !story.converged { throw ExitCode.failure }
            return
        }
        var story = try ProcessStory(catalog: DemoCatalog.locate(catalog, executable: DemoProcesses.executable))
        try await story.play()
    }
}

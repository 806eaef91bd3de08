import ArgumentParser

@main
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Simulated MQTT devices for the dojot IoT agent, and broker benchmarks.",
        subcommands: [Run.self, Bench.self, Certs.self],
        defaultSubcommand: Run.self
    )
}

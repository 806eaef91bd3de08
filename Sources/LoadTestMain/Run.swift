import ArgumentParser
import Foundation
import LoadTest
import Logging
import ServiceRuntime

/// `loadtest run` (the default): every flag has an environment variable; the flag wins.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulates devices: connect, publish, measure PUBACK, Kafka and config latencies.",
        discussion: "Exit status: 0 passed, 1 messages lost or error rate above the maximum, 2 bad configuration, 3 run aborted."
    )

    @Option(help: "Broker host (LOADTEST_HOST, default 127.0.0.1)") var host: String?
    @Option(help: "Broker port (LOADTEST_PORT, default 1883, or 8883 with TLS)") var port: String?
    @Option(help: "Device certificates in the pki-sidecar device layout; turns on mutual TLS (LOADTEST_CERT_DIR)") var certDir: String?
    @Option(help: "CA of the broker certificate (LOADTEST_CA, default <cert-dir>/ca/ca.pem)") var ca: String?
    @Option(help: "PKI to obtain missing device certificates from, cached in --cert-dir (LOADTEST_PKI_URL)") var pkiUrl: String?
    @Option(help: "Verify the broker host name or IP (LOADTEST_VERIFY_HOSTNAME, default true)") var verifyHostname: String?
    @Option(help: "Tenant (LOADTEST_TENANT, default admin)") var tenant: String?
    @Option(help: "Device ids are <prefix><n> (LOADTEST_DEVICE_PREFIX, default lt)") var devicePrefix: String?
    @Option(help: "Number of devices (LOADTEST_DEVICES, default 10)") var devices: String?
    @Option(help: "New connections per second (LOADTEST_CONNECT_RATE, default 500, or devices/ramp-up)") var connectRate: String?
    @Option(help: "Spread the connections over this many seconds (LOADTEST_RAMP_UP)") var rampUp: String?
    @Option(help: "Publish interval per device, ms (LOADTEST_INTERVAL_MS, default 1000)") var intervalMs: String?
    @Option(help: "Random +/- jitter of each interval, ms (LOADTEST_JITTER_MS, default 100)") var jitterMs: String?
    @Option(help: "QoS of the publishes (LOADTEST_QOS, default 1)") var qos: String?
    @Option(help: "Pad payloads to about this many bytes (LOADTEST_PAYLOAD_SIZE, default 0)") var payloadSize: String?
    @Option(help: "JSON object whose fields every payload carries after timestamp and lt (LOADTEST_TEMPLATE)") var template: String?
    @Option(help: "Seconds of publishing after the connect phase (LOADTEST_DURATION, default 60)") var duration: String?
    @Option(help: "Messages per device, 0 = until the duration ends (LOADTEST_MESSAGES)") var messages: String?
    @Option(help: "MQTT keepalive, s (LOADTEST_KEEPALIVE, default 60)") var keepalive: String?
    @Option(help: "Kafka bootstrap servers: match device messages in <tenant>.device-data (LOADTEST_KAFKA_BROKERS)") var kafkaBrokers: String?
    @Option(help: "Seconds to wait for acknowledged messages in Kafka and config at devices (LOADTEST_GRACE, default 15)") var grace: String?
    @Option(help: "Seconds the Kafka consumer gets to join before devices connect (LOADTEST_KAFKA_WARMUP, default 5)") var kafkaWarmup: String?
    @Option(help: "Seconds between configure events per device through Kafka, 0 = off (LOADTEST_CONFIG_INTERVAL)") var configInterval: String?
    @Option(help: "Write the JSON summary here (LOADTEST_SUMMARY)") var summary: String?
    @Option(help: "Write an HTML report with plots over time here (LOADTEST_REPORT)") var report: String?
    @Option(help: "Highest tolerated error rate (LOADTEST_MAX_ERROR_RATE, default 0.001)") var maxErrorRate: String?
    @Option(help: "Event loop threads (LOADTEST_THREADS, default: cores)") var threads: String?
    @Option(help: "Live progress line (LOADTEST_PROGRESS, default: when stdout is a terminal)") var progress: String?

    private var overrides: [String: String?] {
        [
            "LOADTEST_HOST": host, "LOADTEST_PORT": port, "LOADTEST_CERT_DIR": certDir, "LOADTEST_CA": ca,
            "LOADTEST_PKI_URL": pkiUrl, "LOADTEST_VERIFY_HOSTNAME": verifyHostname, "LOADTEST_TENANT": tenant,
            "LOADTEST_DEVICE_PREFIX": devicePrefix, "LOADTEST_DEVICES": devices, "LOADTEST_CONNECT_RATE": connectRate,
            "LOADTEST_RAMP_UP": rampUp, "LOADTEST_INTERVAL_MS": intervalMs, "LOADTEST_JITTER_MS": jitterMs, "LOADTEST_QOS": qos,
            "LOADTEST_PAYLOAD_SIZE": payloadSize, "LOADTEST_TEMPLATE": template, "LOADTEST_DURATION": duration,
            "LOADTEST_MESSAGES": messages, "LOADTEST_KEEPALIVE": keepalive, "LOADTEST_KAFKA_BROKERS": kafkaBrokers,
            "LOADTEST_GRACE": grace, "LOADTEST_KAFKA_WARMUP": kafkaWarmup, "LOADTEST_CONFIG_INTERVAL": configInterval,
            "LOADTEST_SUMMARY": summary, "LOADTEST_REPORT": report, "LOADTEST_MAX_ERROR_RATE": maxErrorRate, "LOADTEST_THREADS": threads,
            "LOADTEST_PROGRESS": progress,
        ]
    }

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        for case (let name, let value?) in overrides { environment[name] = value }
        // Log lines would break the progress line: warnings and worse unless LOG_LEVEL says otherwise.
        environment["LOG_LEVEL"] = environment["LOG_LEVEL"] ?? "warning"
        var reader = EnvironmentReader(environment)
        let configuration: RunConfiguration
        do {
            _ = LoggingBootstrap.bootstrap(try LoggingConfiguration(from: &reader))
            configuration = try RunConfiguration(from: &reader)
        } catch {
            FileHandle.standardError.write(Data("loadtest: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let logger = Logger(label: "loadtest")
        let deviceRun = DeviceRun(configuration: configuration, logger: logger)
        let signals = Self.stopOnSignals(deviceRun)
        defer { signals.forEach { $0.cancel() } }
        let summary: RunSummary
        do {
            summary = try await deviceRun.run()
        } catch {
            FileHandle.standardError.write(Data("loadtest: run aborted: \(error)\n".utf8))
            throw ExitCode(3)
        }
        print(summary.table)
        if let path = configuration.summaryPath {
            try summary.json().write(to: URL(fileURLWithPath: path))
        }
        if let path = configuration.reportPath {
            try Data(HTMLReport.render(summary).utf8).write(to: URL(fileURLWithPath: path))
        }
        if !summary.passed { throw ExitCode(1) }
    }

    /// The first SIGINT or SIGTERM ends the run early with its summary; a second one kills.
    private static func stopOnSignals(_ run: DeviceRun) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nloadtest: stopping (again to abort)\n".utf8))
                run.requestStop()
                signal(number, SIG_DFL)
            }
            source.resume()
            return source
        }
    }
}

import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Start-up of every executable: configuration, logging and metrics bootstrap, then a
/// `ServiceGroup` that SIGTERM and SIGINT shut down gracefully.
///
/// Exit codes: 0 after a graceful shutdown, 1 when a service fails or start-up fails otherwise,
/// 2 when a configuration value is bad (one log line names the variable).
public enum ServiceMain {
    /// Reads the configuration and builds the services; runs once, before any service starts.
    /// Whatever it reads through the reader is logged once, secrets redacted, before the start.
    public typealias MakeServices =
        (_ environment: inout EnvironmentReader, _ logger: Logger) async throws -> [any Service]

    public enum ExitCode {
        public static let success: Int32 = 0
        public static let failure: Int32 = 1
        public static let configurationError: Int32 = 2
    }

    /// Runs the executable `name` and exits the process.
    /// - Parameters:
    ///   - arguments: `--help` prints the settings (read by `settings`), `--version` the version;
    ///     anything else stops with exit code 2. An executable that parses its own arguments passes [].
    ///   - maximumGracefulShutdownDuration: after it, the remaining services are cancelled.
    public static func run(
        _ name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        settings: ReadSettings? = nil,
        maximumGracefulShutdownDuration: Duration? = nil,
        makeServices: MakeServices
    ) async -> Never {
        if let code = handle(CommandLineRequest(arguments), name: name, environment: environment, settings: settings) {
            exit(code)
        }
        var reader = EnvironmentReader(environment)
        let logging: LoggingConfiguration
        do {
            logging = try LoggingConfiguration(from: &reader)
        } catch {
            LoggingBootstrap.bootstrap(LoggingConfiguration())
            reportConfigurationError(error, logger: Logger(label: name))
            exit(ExitCode.configurationError)
        }
        LoggingBootstrap.bootstrap(logging)
        MetricsBootstrap.bootstrap()
        let code = await runServices(
            environment: reader,
            logger: Logger(label: name),
            gracefulShutdownSignals: [.sigterm, .sigint],
            maximumGracefulShutdownDuration: maximumGracefulShutdownDuration,
            makeServices: makeServices
        )
        exit(code)
    }

    /// Everything after the bootstraps; returns the exit code instead of exiting (for tests).
    static func runServices(
        environment: EnvironmentReader,
        logger: Logger,
        gracefulShutdownSignals: [UnixSignal],
        maximumGracefulShutdownDuration: Duration? = nil,
        makeServices: MakeServices
    ) async -> Int32 {
        var reader = environment
        let services: [any Service]
        do {
            services = try await makeServices(&reader, logger)
        } catch let error as ConfigurationError {
            reportConfigurationError(error, logger: logger)
            return ExitCode.configurationError
        } catch {
            logger.critical("start-up failed: \(error)")
            return ExitCode.failure
        }
        reader.logEffectiveConfiguration(to: logger)

        var configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = maximumGracefulShutdownDuration
        do {
            try await ServiceGroup(configuration: configuration).run()
            logger.info("stopped")
            return ExitCode.success
        } catch {
            logger.critical("stopped on error: \(error)")
            return ExitCode.failure
        }
    }

    private static func reportConfigurationError(_ error: ConfigurationError, logger: Logger) {
        logger.critical("invalid configuration: \(error.message)", metadata: ["variable": "\(error.variable)"])
    }
}

import Foundation

/// What the command line of a service executable asks for. Services are configured by the
/// environment only; the arguments can ask for the settings or the version, and anything else is
/// a mistake worth stopping for (a typo must not start a broker with defaults).
public enum CommandLineRequest: Equatable, Sendable {
    case run
    case help
    case version
    case unknown(String)

    public init(_ arguments: [String]) {
        guard let first = arguments.first else {
            self = .run
            return
        }
        switch first {
        case "--help", "-h", "help": self = arguments.count == 1 ? .help : .unknown(arguments[1])
        case "--version", "-V": self = arguments.count == 1 ? .version : .unknown(arguments[1])
        default: self = .unknown(first)
        }
    }
}

/// The version every executable reports (`--version`, the start-up log line).
public enum ProductVersion {
    public static let current = "0.13.0"
}

extension ServiceMain {
    /// Reads the configuration (as `makeServices` would) without starting anything, for `--help`.
    public typealias ReadSettings = (_ environment: inout EnvironmentReader) throws -> Void

    /// `--help`: every setting the executable reads, with the value it would use now and whether
    /// that is the default. Returns the exit code.
    static func printSettings(_ name: String, environment: [String: String], settings: ReadSettings?) -> Int32 {
        var reader = EnvironmentReader(environment)
        reader.checksThatFilesExist = false
        var failure: (any Error)?
        do {
            _ = try LoggingConfiguration(from: &reader)
            try settings?(&reader)
        } catch {
            failure = error
        }
        var lines = [
            "\(name) \(ProductVersion.current): configured by environment variables only.", "",
            "Settings (value now; \"default\" when the variable is unset):",
        ]
        let entries = reader.effectiveConfiguration
        let width = entries.map(\.name.count).max() ?? 0
        for entry in entries {
            let padding = String(repeating: " ", count: width - entry.name.count)
            lines.append("  \(entry.name)\(padding)  \(entry.loggableValue)\(entry.isSet ? "" : "  (default)")")
        }
        if let failure {
            lines += ["", "The settings stop here: \(failure)"]
        }
        lines += ["", "Options: --help (this list), --version."]
        print(lines.joined(separator: "\n"))
        return failure == nil ? ExitCode.success : ExitCode.configurationError
    }

    /// Handles `--help`, `--version` and unknown arguments; returns nil when the service should run.
    static func handle(_ request: CommandLineRequest, name: String, environment: [String: String], settings: ReadSettings?) -> Int32? {
        switch request {
        case .run:
            return nil
        case .version:
            print("\(name) \(ProductVersion.current)")
            return ExitCode.success
        case .help:
            return printSettings(name, environment: environment, settings: settings)
        case .unknown(let argument):
            FileHandle.standardError.write(Data("\(name): unknown argument \"\(argument)\"; \(name) is configured by environment variables (--help lists them)\n".utf8))
            return ExitCode.configurationError
        }
    }
}

import Foundation

/// Reads typed configuration values from an environment, validating each one, and remembers what
/// it read so that the effective configuration can be logged once at start-up.
///
/// Every accessor takes the variable name and a default. A variable that is unset, or set to an
/// empty or blank value, takes the default (except ``string(_:default:)`` and the optional
/// accessors, where an empty value is a value). A value that cannot be used throws a
/// ``ConfigurationError`` naming the variable, the value and what was expected.
public struct EnvironmentReader: Sendable {
    private let environment: [String: String]
    private var entries: [ConfigurationEntry] = []
    private var entryIndex: [String: Int] = [:]
    /// Off for `--help`: it lists the settings where the files are not (yet) present.
    var checksThatFilesExist = true

    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Every value read so far, in the order first read.
    public var effectiveConfiguration: [ConfigurationEntry] { entries }

    /// The raw value of a variable, without validation or recording.
    public func rawValue(_ name: String) -> String? { environment[name] }

    /// The raw variables whose names start with `prefix`, sorted by name.
    public func rawValues(withPrefix prefix: String) -> [(name: String, value: String)] {
        environment.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    // MARK: Strings

    /// The value as given (an empty value is kept), or the default when unset.
    public mutating func string(_ name: String, default defaultValue: String) -> String {
        let value = environment[name] ?? defaultValue
        record(name, value: value, isSet: environment[name] != nil)
        return value
    }

    /// The value as given (an empty value is kept), or nil when unset.
    public mutating func optionalString(_ name: String) -> String? {
        let value = environment[name]
        record(name, value: value, isSet: value != nil)
        return value
    }

    /// The value, which must be set and not blank.
    public mutating func requiredString(_ name: String) throws(ConfigurationError) -> String {
        guard let value = nonBlank(name) else {
            throw .missingValue(name, expected: "a non-empty value")
        }
        record(name, value: value, isSet: true)
        return value
    }

    // MARK: Numbers

    /// A decimal integer within `range`.
    public mutating func int(
        _ name: String,
        default defaultValue: Int,
        in range: ClosedRange<Int> = Int.min...Int.max
    ) throws(ConfigurationError) -> Int {
        let value = try parsed(name, default: defaultValue, expected: Self.describe(range)) { text in
            Int(text).flatMap { range.contains($0) ? $0 : nil }
        }
        record(name, value: String(value), isSet: nonBlank(name) != nil)
        return value
    }

    /// A TCP or UDP port, 0...65535 (0 usually means "off" or "any free port").
    public mutating func port(_ name: String, default defaultValue: Int) throws(ConfigurationError) -> Int {
        let value = try parsed(name, default: defaultValue, expected: "a port (0-65535)") { text in
            Int(text).flatMap { (0...65535).contains($0) ? $0 : nil }
        }
        record(name, value: String(value), isSet: nonBlank(name) != nil)
        return value
    }

    /// A duration written as a non-negative integer count of `unit` (the unit is part of the
    /// variable's contract, e.g. `PLUGIN_DISC_LIFETIME_SESSION` in ms, `CRL_UPDATE_INTERVAL_SEC` in s).
    public mutating func duration(
        _ name: String,
        default defaultValue: Duration,
        unit: DurationUnit
    ) throws(ConfigurationError) -> Duration {
        let expected = "a duration in \(unit.name) (a non-negative integer)"
        let count = try parsed(name, default: unit.count(of: defaultValue), expected: expected) { text in
            Int(text).flatMap { $0 >= 0 ? $0 : nil }
        }
        let isSet = nonBlank(name) != nil
        let value = isSet ? unit.duration(count) : defaultValue
        record(name, value: "\(count) \(unit.symbol)", isSet: isSet)
        return value
    }

    // MARK: Choices

    /// `true`/`false`, `1`/`0` or `yes`/`no`, in any case.
    public mutating func bool(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        let value = try parsed(name, default: defaultValue, expected: "a boolean (true/false, 1/0, yes/no)") { text in
            switch text.lowercased() {
            case "true", "1", "yes": true
            case "false", "0", "no": false
            default: nil
            }
        }
        record(name, value: String(value), isSet: nonBlank(name) != nil)
        return value
    }

    /// One of `allowed`, matched exactly.
    public mutating func oneOf(
        _ name: String,
        default defaultValue: String,
        allowed: [String]
    ) throws(ConfigurationError) -> String {
        let expected = "one of: \(allowed.joined(separator: ", "))"
        let value = try parsed(name, default: defaultValue, expected: expected) { allowed.contains($0) ? $0 : nil }
        record(name, value: value, isSet: nonBlank(name) != nil)
        return value
    }

    /// A case of a string-backed enumeration, matched exactly against its raw values.
    public mutating func enumeration<Value: RawRepresentable & CaseIterable>(
        _ name: String,
        default defaultValue: Value
    ) throws(ConfigurationError) -> Value where Value.RawValue == String {
        let allowed = Value.allCases.map(\.rawValue)
        let raw = try oneOf(name, default: defaultValue.rawValue, allowed: allowed)
        return Value(rawValue: raw) ?? defaultValue
    }

    // MARK: Lists and files

    /// A comma-separated list; items are trimmed and empty items dropped.
    public mutating func list(_ name: String, default defaultValue: [String]) -> [String] {
        let value =
            nonBlank(name).map { text in
                text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } ?? defaultValue
        record(name, value: value.joined(separator: ","), isSet: nonBlank(name) != nil)
        return value
    }

    /// A file path; with `mustExist`, a readable regular file.
    public mutating func filePath(
        _ name: String,
        default defaultValue: String,
        mustExist: Bool = false
    ) throws(ConfigurationError) -> String {
        let value = nonBlank(name) ?? defaultValue
        try validatePath(name, value, mustExist: mustExist)
        record(name, value: value, isSet: nonBlank(name) != nil, isPath: true)
        return value
    }

    /// A file path that can be switched off: unset gives the default, set but empty gives nil.
    public mutating func optionalFilePath(
        _ name: String,
        default defaultValue: String?,
        mustExist: Bool = false
    ) throws(ConfigurationError) -> String? {
        let value: String?
        switch environment[name] {
        case nil: value = defaultValue
        case let text? where text.allSatisfy(\.isWhitespace): value = nil
        case let text?: value = text
        }
        if let value { try validatePath(name, value, mustExist: mustExist) }
        record(name, value: value ?? "", isSet: environment[name] != nil, isPath: true)
        return value
    }

    // MARK: Internals

    /// The value when set and not blank, trimmed.
    private func nonBlank(_ name: String) -> String? {
        guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            return nil
        }
        return text
    }

    private func parsed<Value>(
        _ name: String,
        default defaultValue: Value,
        expected: String,
        _ parse: (String) -> Value?
    ) throws(ConfigurationError) -> Value {
        guard let text = nonBlank(name) else { return defaultValue }
        guard let value = parse(text) else {
            throw .invalidValue(name, value: environment[name] ?? text, expected: expected)
        }
        return value
    }

    private func validatePath(_ name: String, _ path: String, mustExist: Bool) throws(ConfigurationError) {
        if path.contains("\0") || path.isEmpty {
            throw .invalidValue(name, value: path, expected: "a file path")
        }
        if mustExist && checksThatFilesExist {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard exists, !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: path) else {
                throw .invalidValue(name, value: path, expected: "a readable file")
            }
        }
    }

    /// Records what was read; a path is not a secret even when its name says KEY.
    mutating func record(_ name: String, value: String?, isSet: Bool, isPath: Bool = false) {
        let entry = ConfigurationEntry(
            name: name,
            value: value,
            isSet: isSet,
            isSecret: !isPath && ConfigurationRedaction.isSecret(name)
        )
        if let index = entryIndex[name] {
            entries[index] = entry
        } else {
            entryIndex[name] = entries.count
            entries.append(entry)
        }
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (Int.min, Int.max): "an integer"
        case (let low, Int.max): "an integer >= \(low)"
        case (Int.min, let high): "an integer <= \(high)"
        case (let low, let high): "an integer (\(low)-\(high))"
        }
    }
}

/// The unit in which a duration variable is written.
public enum DurationUnit: Sendable, Hashable {
    case milliseconds
    case seconds

    var name: String {
        switch self {
        case .milliseconds: "milliseconds"
        case .seconds: "seconds"
        }
    }

    var symbol: String {
        switch self {
        case .milliseconds: "ms"
        case .seconds: "s"
        }
    }

    func duration(_ count: Int) -> Duration {
        switch self {
        case .milliseconds: .milliseconds(count)
        case .seconds: .seconds(count)
        }
    }

    func count(of duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        switch self {
        case .milliseconds: return Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        case .seconds: return Int(seconds)
        }
    }
}

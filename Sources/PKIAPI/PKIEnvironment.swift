import Foundation

/// Reads configuration variables with errors that name the variable. Kept small on purpose: the
/// shared ServiceRuntime module replaces it once it lands.
public struct PKIEnvironment: Sendable {
    public struct InvalidValue: Error, Sendable, CustomStringConvertible {
        public let variable: String
        public let value: String
        public let expected: String
        public var description: String { "invalid \(variable)=\"\(value)\": expected \(expected)" }

        public init(variable: String, value: String, expected: String) {
            self.variable = variable
            self.value = value
            self.expected = expected
        }
    }

    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The value, or nil when unset or empty.
    public func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    public func string(_ name: String, default fallback: String) -> String {
        string(name) ?? fallback
    }

    public func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(InvalidValue) -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw InvalidValue(variable: name, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// One of `choices` (case-insensitive).
    public func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, default fallback: Choice) throws(InvalidValue) -> Choice
    where Choice.RawValue == String {
        guard let text = string(name) else { return fallback }
        guard let value = Choice.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw InvalidValue(
                variable: name, value: text, expected: "one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A comma-separated list; empty entries dropped.
    public func list(_ name: String) -> [String] {
        (string(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A configuration value that cannot be used; the message names the variable, the bad value and
/// what was expected, e.g. `BROKER_MQTT_PORT: "abc" is not a port (0-65535)`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidValue
        case missingValue
    }

    private let code: Code
    /// The environment variable at fault.
    public let variable: String
    /// The whole message, ready for a log line.
    public let message: String

    public var description: String { message }

    private init(code: Code, variable: String, message: String) {
        self.code = code
        self.variable = variable
        self.message = message
    }

    /// `value` of `variable` is not `expected` (a phrase such as "a port (0-65535)").
    /// The value of a secret variable is not repeated.
    public static func invalidValue(_ variable: String, value: String, expected: String) -> Self {
        let shown = ConfigurationRedaction.isSecret(variable) ? ConfigurationRedaction.placeholder : value
        return Self(
            code: .invalidValue,
            variable: variable,
            message: "\(variable): \(quoted(shown)) is not \(expected)"
        )
    }

    /// `variable` has no default and was not set.
    public static func missingValue(_ variable: String, expected: String) -> Self {
        Self(code: .missingValue, variable: variable, message: "\(variable): not set; expected \(expected)")
    }

    /// Quotes a value so that blanks and control characters stay visible in a log line.
    private static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

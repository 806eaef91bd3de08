/// One configuration value as the process uses it, for the start-up log line.
public struct ConfigurationEntry: Sendable, Hashable {
    /// The environment variable (for a pass-through property, the variable that sets it).
    public var name: String
    /// The effective value in the variable's own notation; nil when unset and without default.
    public var value: String?
    /// True when the value came from the environment, false when it is the default.
    public var isSet: Bool
    /// True when the value must not be logged.
    public var isSecret: Bool

    public init(name: String, value: String?, isSet: Bool, isSecret: Bool) {
        self.name = name
        self.value = value
        self.isSet = isSet
        self.isSecret = isSecret
    }

    /// The value as it may appear in a log line.
    public var loggableValue: String {
        if isSecret { return ConfigurationRedaction.placeholder }
        return value ?? "(unset)"
    }
}

/// Which configuration names hold secrets, so that their values never reach a log line.
public enum ConfigurationRedaction {
    /// What is logged instead of a secret value.
    public static let placeholder = "<redacted>"

    private static let secretMarkers = ["KEY", "PASSWORD", "SECRET", "TOKEN"]

    /// True when `name` (a variable or a pass-through property name, in any case) contains KEY,
    /// PASSWORD, SECRET or TOKEN.
    public static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretMarkers.contains { upper.contains($0) }
    }
}

/// What a dojot tenant and device id may look like. Both end up in topic names (`T:D/attrs`,
/// `T.device-data`), so nothing in them may change a topic's meaning: no level separator,
/// wildcard, `:` or `.`, no control or non-ASCII characters. Shared by dev-pki (what it signs)
/// and k2v-bridge (where it publishes), so that one never produces what the other refuses.
public enum DojotNames {
    /// A Kafka topic-name character other than `.`, which separates the tenant from the suffix.
    public static func isValidTenant(_ tenant: String) -> Bool {
        let scalars = tenant.unicodeScalars
        return (1...200).contains(scalars.count) && scalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "-" }
    }

    /// x509-identity-mgmt's rule `[0-9A-Za-z ]{1,255}`, plus `-` and `_`, which test tools use;
    /// device-manager itself assigns hex ids.
    public static func isValidDeviceID(_ id: String) -> Bool {
        let scalars = id.unicodeScalars
        return (1...255).contains(scalars.count) && scalars.allSatisfy { isAlphanumeric($0) || $0 == " " || $0 == "_" || $0 == "-" }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "a"..."z", "A"..."Z": true
        default: false
        }
    }
}

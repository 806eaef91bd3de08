/// Why the first enrolment failed; the `--once` exit code follows the original scripts.
public enum SidecarError: Error, Sendable, CustomStringConvertible {
    /// The PKI did not answer within `PKI_WAIT_TIMEOUT_SEC` (exit 3).
    case pkiUnavailable(String)
    /// The issued certificate does not verify against the CA (exit 2).
    case chainInvalid(String)
    /// Anything else: storage, unusable answers (exit 1).
    case failed(String)

    public var exitCode: Int32 {
        switch self {
        case .pkiUnavailable: 3
        case .chainInvalid: 2
        case .failed: 1
        }
    }

    public var description: String {
        switch self {
        case .pkiUnavailable(let message): "PKI unavailable: \(message)"
        case .chainInvalid(let message): "certificate chain invalid: \(message)"
        case .failed(let message): message
        }
    }
}

/// Why the first enrolment failed, with the `--once` exit code (2 is ServiceRuntime's
/// configuration error; 3 is the original scripts' PKI timeout).
public enum SidecarError: Error, Sendable, CustomStringConvertible {
    /// The PKI did not answer within `PKI_WAIT_TIMEOUT_SEC` (exit 3).
    case pkiUnavailable(String)
    /// The issued certificate does not verify against the CA (exit 4).
    case chainInvalid(String)
    /// Anything else: storage, unusable answers (exit 1).
    case failed(String)

    public var exitCode: Int32 {
        switch self {
        case .pkiUnavailable: 3
        case .chainInvalid: 4
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

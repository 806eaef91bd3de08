/// What an identity is under the dojot rules, or why it may not connect.
enum DojotRole: Sendable, Hashable {
    case device(String)
    case v2kService
    case k2vService
    case refused(String)

    /// Classifies an identity. Decisions where the SPEC is silent:
    /// - A device-shaped identity (`tenant:device`) is a device even when it contains a mark: the
    ///   PKI issues `<tenant>:<any CN>` device certificates to tenant users, so honouring a mark
    ///   there would let any tenant user read every tenant's data.
    /// - Any other identity with a `:` is refused, mark or not: service certificates carry a host
    ///   name (never a `:`), while `admin::v2k-bridge` is what a device CSR for `:v2k-bridge` yields.
    /// - An identity with both marks is refused as ambiguous rather than given both rights.
    /// - `/`, `+`, `#` and NUL are refused: a device identity becomes a topic level.
    static func classify(_ client: ClientIdentity, marks: DojotMarks) -> DojotRole {
        guard let identity = client.identity, !identity.isEmpty else {
            return .refused("no identity (no client certificate CN or CONNECT username)")
        }
        let shown = UTF8Bytes.printable(identity)
        if UTF8Bytes.holdsTopicStructure(identity) {
            return .refused("identity \(shown) contains '/', '+', '#' or NUL")
        }
        if identity.utf8.contains(UTF8Bytes.colon) {
            return UTF8Bytes.isDeviceShaped(identity)
                ? .device(identity)
                : .refused("identity \(shown) is not a device identity <tenant>:<device> (exactly one ':', both parts non-empty)")
        }
        let isV2K = UTF8Bytes.contains(identity, marks.v2k)
        let isK2V = UTF8Bytes.contains(identity, marks.k2v)
        if isV2K && isK2V {
            return .refused("identity \(shown) carries both service marks '\(marks.v2k)' and '\(marks.k2v)'")
        }
        if !isV2K && !isK2V {
            return .refused("identity \(shown) is neither a device <tenant>:<device> nor a service (containing '\(marks.v2k)' or '\(marks.k2v)')")
        }
        guard client.viaVerifiedCertificate else {
            return .refused("service identity \(shown) is honoured only with a verified client certificate, not on the plain listener")
        }
        return isV2K ? .v2kService : .k2vService
    }
}

/// The substrings that mark service identities (`PLUGIN_ACL_V2K_SERVICENAME`, `PLUGIN_ACL_K2V_SERVICENAME`).
struct DojotMarks: Sendable, Hashable {
    var v2k: String
    var k2v: String
}

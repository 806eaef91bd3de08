import Foundation

/// What x509-identity-mgmt accepts as tenant and device id.
enum DevicePolicy {
    static let organization = "dojot IoT Platform"

    static func isValidTenant(_ tenant: String) -> Bool {
        !tenant.isEmpty && tenant.count <= 255 && !tenant.contains(":") && !tenant.contains("/")
            && tenant.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }

    /// The original allows `[0-9A-Za-z ]{1,255}`; we also allow `-` and `_` used by test tools.
    static func isValidDeviceID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 255
            && id.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || " -_".unicodeScalars.contains($0))
            }
    }
}

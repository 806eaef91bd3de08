/// What dev-pki puts in device certificates besides the name (`MQTTCore.DojotNames` says which
/// tenants and device ids are valid).
enum DevicePolicy {
    static let organization = "dojot IoT Platform"
}

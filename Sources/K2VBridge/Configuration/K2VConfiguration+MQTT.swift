import MQTTCore
import NIOCore

extension K2VConfiguration {
    /// The bridge's MQTT client: persistent session (unacknowledged publishes survive reconnects
    /// and are sent again in their order), client id and user name = host name.
    /// Throws when a TLS file cannot be loaded.
    func mqttClientConfiguration(eventLoopGroup: any EventLoopGroup) throws -> MQTTClientConfiguration {
        let tls: MQTTClientTLS? =
            switch mqttProtocol {
            case .mqtt: nil
            case .mqtts:
                try MQTTClientTLS.files(
                    caFile: caFile, certificateFile: certificateFile, keyFile: keyFile,
                    verifyServer: rejectUnauthorized, verifyHostname: rejectUnauthorized
                )
            }
        return MQTTClientConfiguration(
            host: mqttHost,
            port: mqttPort,
            tls: tls,
            clientID: hostname,
            cleanSession: false,
            keepAlive: .seconds(Int64(keepAliveSeconds)),
            username: hostname,
            inflightWindow: maxInflight,
            reconnect: reconnect,
            eventLoopGroup: eventLoopGroup
        )
    }
}

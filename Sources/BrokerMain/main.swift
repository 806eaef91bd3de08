import Broker
import MQTTAuthorization
import Logging
import ServiceLifecycle

// Temporary entry point: plain listener only, until configuration from the environment lands.
var configuration = BrokerServer.Configuration()
if let port = ProcessInfoPort.value("BROKER_MQTT_PORT") { configuration.plainPort = port }
let server = try BrokerServer(configuration: configuration, authorizer: AllowAllAuthorizer())
let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "broker"))
try await group.run()

import Broker
import Foundation
import MQTTAuthorization
import ServiceRuntime

await ServiceMain.run(
    "broker",
    settings: { env in
        _ = try BrokerConfiguration(from: &env, hostname: HostName.current(environment: ProcessInfo.processInfo.environment))
    }
) { env, logger in
    let configuration = try BrokerConfiguration(from: &env, hostname: HostName.current(environment: ProcessInfo.processInfo.environment))
    let authorizer = try AuthorizerFactory.make(
        mode: configuration.authorization, aclFilePath: configuration.aclFile,
        v2kMark: configuration.v2kMark, k2vMark: configuration.k2vMark, logger: logger
    )
    let readiness = ReadinessState(waitingFor: ["mqtt"])
    let server = try BrokerServer(configuration: configuration, authorizer: authorizer, readiness: readiness, logger: logger)
    let ops = OpsHTTPServer(host: configuration.bindHost, port: configuration.httpPort, readiness: readiness.check, logger: logger)
    return [ops, server]
}

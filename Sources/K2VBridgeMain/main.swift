import Foundation
import K2VBridge
import ServiceRuntime

await ServiceMain.run(
    "k2v-bridge",
    settings: { env in
        _ = try K2VConfiguration(from: &env, hostname: HostName.current(environment: ProcessInfo.processInfo.environment))
    }
) { env, logger in
    let configuration = try K2VConfiguration(from: &env, hostname: HostName.current(environment: ProcessInfo.processInfo.environment))
    let readiness = ReadinessState(waitingFor: ["kafka", "mqtt"])
    let bridge = try K2VBridge(configuration: configuration, readiness: readiness, logger: logger)
    let ops = OpsHTTPServer(host: configuration.httpBind, port: configuration.httpPort, readiness: readiness, logger: logger)
    return [ops, bridge]
}

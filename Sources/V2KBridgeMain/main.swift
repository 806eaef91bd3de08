import Foundation
import ServiceRuntime
import V2KBridge

await ServiceMain.run(
    "v2k-bridge",
    settings: { env in
        _ = try V2KConfiguration(from: &env, hostname: HostName.current(environment: ProcessInfo.processInfo.environment))
    }, maximumGracefulShutdownDuration: .seconds(30)
) { env, logger in
    let configuration = try V2KConfiguration(from: &env, hostname: HostName.current(environment: ProcessInfo.processInfo.environment))
    let readiness = ReadinessState(waitingFor: V2KBridge.readinessParts)
    let bridge = try V2KBridge(configuration: configuration, readiness: readiness, logger: logger)
    let ops = OpsHTTPServer(host: configuration.httpBind, port: configuration.httpPort, readiness: readiness, logger: logger)
    return [ops, bridge]
}
